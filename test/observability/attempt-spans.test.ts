import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, OtlpReceiver, SPAN_KIND, startMockProvider, type MockProvider } from '../harness/index.js';
import { chat, post } from '../request-path/fixtures.js';
import { reliabilityConfig } from '../fallbacks/fixtures.js';
import { startProcessStack, type ProcessStack } from './stack-processes.js';

/**
 * Every attempt is visible: a request retried and then served by its
 * fallback is one trace with one gen_ai client span per provider call,
 * each naming the endpoint it called, and one audit line listing them all.
 */
describe('observability: every attempt of a request, in its trace and its audit line', () => {
  let receiver: OtlpReceiver;
  let mock: MockProvider;
  let running: ProcessStack;
  let traceId: string;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    mock = await startMockProvider();
    mock.behave('main-a', { status: 500 });
    running = await startProcessStack({
      servers: inject('servers'),
      configYaml: reliabilityConfig(
        mock.url,
        [
          { group: 'main', model: 'main-a' },
          { group: 'backup', model: 'backup-a' },
        ],
        'num_retries: 1\nfallbacks: [{ main: [backup] }]\n',
      ),
      scale: { ingress: 1, limiter: 1, 'upstream-caller': 1, learner: 1 },
      env: {
        MOCK_PROVIDER_KEY: 'sk-provider-secret-123',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      },
    });
    const url = running.stack.ingressUrls[0]!.replace(/\/v1$/, '');
    traceId = '5bf92f3577b34da6a3ce929d0e0e4737';
    const response = await post(url, '/v1/chat/completions', chat('main'), { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    await mock?.close();
    await receiver?.close();
  });

  it('observability: one gen_ai client span per provider call, each with server.address and server.port', async () => {
    const calls = await eventually(async () => {
      const spans = receiver.spans.filter((span) => span.traceId === traceId && span.service === 'upstream-caller' && span.kind === SPAN_KIND.CLIENT);
      return spans.length >= 3 ? spans : undefined;
    }, 20_000, 'three provider-call spans');
    expect(mock.calls).toBe(3);
    expect(calls).toHaveLength(3);
    const byAttempt = [...calls].sort((a, b) => Number(a.attributes['switchyard.attempt']) - Number(b.attributes['switchyard.attempt']));
    expect(byAttempt.map((span) => [span.attributes['switchyard.attempt'], span.attributes['switchyard.deployment'], span.attributes['http.response.status_code']])).toEqual([
      [1, 'main-a', 502],
      [2, 'main-a', 502],
      [3, 'backup-a', 200],
    ]);
    for (const span of calls) {
      expect(span.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'server.address': '127.0.0.1', 'server.port': mock.port });
    }
  });

  it('observability: the audit line lists every attempt with deployment, status, outcome and latency', async () => {
    const audit = await eventually(async () => {
      return running.output
        .map((line) => line.slice(line.indexOf('{')))
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => entry.audit === true && entry.traceId === traceId);
    }, 10_000, 'the audit line');
    expect(audit).toMatchObject({ attempts: 3, fallbacks: 1, providerCalls: 3, status: 200 });
    const trail = audit.attemptTrail as Array<Record<string, unknown>>;
    expect(trail.map((entry) => [entry.role, entry.deployment, entry.status, entry.outcome])).toEqual([
      ['first', 'main-a', 502, 'upstream_error'],
      ['retry', 'main-a', 502, 'upstream_error'],
      ['fallback', 'backup-a', 200, 'ok'],
    ]);
    for (const entry of trail) expect(entry.latencyMs).toEqual(expect.any(Number));
  });
});
