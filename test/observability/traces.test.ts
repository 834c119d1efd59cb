import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, OtlpReceiver, SPAN_KIND, startMockProvider, type MockProvider, type ReceivedSpan } from '../harness/index.js';
import { manyModelsConfig, post, chat } from '../request-path/fixtures.js';
import { startProcessStack, type ProcessStack } from './stack-processes.js';

const REQUESTS = 10;

/**
 * Invariant I4 with the services as real processes, 2 replicas of each: every
 * client request is one trace, with exactly one upstream-call span, and the
 * spans of every service parented through the NATS headers.
 */
describe('observability: one trace per request, across processes', () => {
  let receiver: OtlpReceiver;
  let mock: MockProvider;
  let running: ProcessStack;
  const clientTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    mock = await startMockProvider();
    running = await startProcessStack({
      servers: inject('servers'),
      configYaml: manyModelsConfig(mock.url, { count: 5 }),
      scale: { ingress: 2, limiter: 2, 'upstream-caller': 2, learner: 2, ledger: 0 },
      env: {
        MOCK_PROVIDER_KEY: 'sk-provider-secret-123',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      },
    });
    const urls = running.stack.ingressUrls.map((url) => url.replace(/\/v1$/, ''));
    for (let i = 0; i < REQUESTS; i++) {
      const headers: Record<string, string> = i === 0 ? { traceparent: `00-${clientTraceId}-00f067aa0ba902b7-01` } : {};
      const response = await post(urls[i % urls.length]!, '/v1/chat/completions', chat(`model-${i % 5}`, `hello ${i}`, i % 2 ? { stream: true } : {}), headers);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    await mock?.close();
    await receiver?.close();
  });

  const serverSpans = () => receiver.spans.filter((span) => span.service === 'ingress' && span.kind === SPAN_KIND.SERVER);

  it('exports exactly one trace per request, each with one provider-call span', async () => {
    const byTrace = await eventually(async () => {
      const traces = new Map<string, ReceivedSpan[]>();
      for (const span of receiver.spans) traces.set(span.traceId, [...(traces.get(span.traceId) ?? []), span]);
      // Each process exports on its own schedule: wait for the limiter's span as
      // well as the upstream-caller's, or a slow limiter batch reads as a missing span.
      const hasSpanFrom = (traceId: string, service: string) => (traces.get(traceId) ?? []).some((span) => span.service === service);
      const complete = serverSpans().every((server) => hasSpanFrom(server.traceId, 'upstream-caller') && hasSpanFrom(server.traceId, 'limiter'));
      return serverSpans().length >= REQUESTS && complete ? traces : undefined;
    }, 20_000, 'the spans of every request');

    expect(serverSpans()).toHaveLength(REQUESTS);
    expect(new Set(serverSpans().map((span) => span.traceId)).size).toBe(REQUESTS);
    expect(mock.calls).toBe(REQUESTS);
    for (const server of serverSpans()) {
      const spans = byTrace.get(server.traceId)!;
      const limiterSpans = spans.filter((span) => span.service === 'limiter');
      const callSpans = spans.filter((span) => span.service === 'upstream-caller' && span.kind === SPAN_KIND.CLIENT);
      expect(limiterSpans).toHaveLength(1);
      expect(callSpans).toHaveLength(1);
      expect(limiterSpans[0]!.parentSpanId).toBe(server.spanId);
      expect(callSpans[0]!.parentSpanId).toBe(limiterSpans[0]!.spanId);
      expect(callSpans[0]!.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'openai',
        'http.response.status_code': 200,
        'switchyard.outcome': 'ok',
      });
      expect(callSpans[0]!.attributes['gen_ai.usage.input_tokens']).toEqual(expect.any(Number));
    }
  });

  it('continues the trace a client sent in traceparent', () => {
    expect(serverSpans().some((span) => span.traceId === clientTraceId && span.parentSpanId === '00f067aa0ba902b7')).toBe(true);
  });

  it("links the learner's processing to each request's trace", async () => {
    const linked = await eventually(async () => {
      const links = receiver.spans.filter((span) => span.service === 'learner').flatMap((span) => span.links.map((link) => link.traceId));
      const traceIds = new Set(links);
      return serverSpans().every((span) => traceIds.has(span.traceId)) ? traceIds : undefined;
    }, 20_000, 'learner spans linked to every request');
    expect(linked.size).toBeGreaterThanOrEqual(REQUESTS);
  });

  it('puts no secret in any span', () => {
    const everything = JSON.stringify(receiver.spans);
    expect(everything).not.toContain('sk-provider-secret-123');
    expect(everything.toLowerCase()).not.toContain('authorization');
  });

  it('writes one audit line per request, with the one provider call it made', () => {
    const audits = running.output
      .map((line) => line.slice(line.indexOf('{')))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.audit === true);
    expect(audits).toHaveLength(REQUESTS);
    for (const audit of audits) {
      expect(audit).toMatchObject({ providerCalls: 1, attempts: 1, status: 200, outcome: 'ok' });
      expect(audit.traceId).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(new Set(audits.map((audit) => audit.traceId))).toEqual(new Set(serverSpans().map((span) => span.traceId)));
  });

  it('counts the requests in Prometheus /metrics on the ingress replicas', async () => {
    let total = 0;
    for (const url of running.stack.ingressUrls) {
      const text = await (await fetch(url.replace(/\/v1$/, '/metrics'))).text();
      for (const match of text.matchAll(/^switchyard_http_requests_total\{[^}]*status="200"[^}]*\} (\d+)/gm)) total += Number(match[1]);
    }
    expect(total).toBe(REQUESTS);
  });

  it("exposes the learner's lag and every service's NATS connection events in /metrics", async () => {
    const learner = running.stack.replicas.find((replica) => replica.service === 'learner')!;
    const text = await eventually(async () => {
      const body = await (await fetch(`http://127.0.0.1:${learner.port}/metrics`)).text();
      return /^switchyard_learner_pending_events\{[^}]*consumer="learner-calls"[^}]*\} 0$/m.test(body) ? body : undefined;
    }, 20_000, 'the learner to report no pending events');
    expect(text).toMatch(/^switchyard_learner_pending_events\{[^}]*consumer="learner-turns"/m);
    for (const replica of running.stack.replicas) {
      const body = await (await fetch(`http://127.0.0.1:${replica.port}/metrics`)).text();
      expect(body).toContain('# TYPE switchyard_nats_connection_events_total counter');
    }
  });
});
