import type { FastifyRequest } from 'fastify';
import type { GatewayError, Endpoint, Usage } from '@switchyard/contracts';
import { extractContext, SpanKind, SpanStatusCode, type Context, type Logger, type Span, type Tracer } from '@switchyard/telemetry';
import type { AttemptEntry } from './attempt-runner.js';
import type { Delivery } from './deliver.js';
import type { IngressMetrics } from './metrics.js';

/** What one client request did: the audit line, the metrics and the server span are all written from it. */
export interface RequestRecord {
  /** The gateway's own id: the key of everything the request stored, routed or cancelled. */
  requestId: string;
  /** The client's x-request-id when it sent a safe one: a label to grep for, never a key. */
  clientRequestId: string | null;
  callerId: string | null;
  /** The virtual key's alias and team (never the key): audited, and bounded metric labels. */
  keyAlias: string | null;
  teamId: string | null;
  /** The request came with a virtual key (not the master key). */
  virtualKey: boolean;
  teamAlias: string | null;
  endpoint: Endpoint;
  requestedModel: string | null;
  /** The resolved group: a bounded metric label, unlike what clients send. */
  modelGroup: string | null;
  deploymentId: string | null;
  attempts: number;
  providerCalls: number;
  /** Every attempt (deployment, status, outcome, latency), in order. */
  attemptTrail: AttemptEntry[];
  fallbacks: number;
  traceId: string;
  started: number;
}

/**
 * Opens a request as every route does: its server span (continuing a
 * client's traceparent) and the record the audit line, metrics and span are
 * written from when it ends (`finishRequest`).
 */
export function startRequest(
  request: FastifyRequest,
  tracer: Tracer,
  opened: { endpoint: Endpoint; method: 'POST' | 'GET' | 'DELETE'; fallbackRoute: string; operation: string },
): { span: Span; parent: Context; record: RequestRecord } {
  const parent = extractContext((name) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  });
  const span = tracer.startSpan(
    `${opened.method} ${request.routeOptions.url ?? opened.fallbackRoute}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': opened.method,
        'gen_ai.operation.name': opened.operation,
        'switchyard.request_id': request.id,
        ...(request.clientRequestId ? { 'switchyard.client_request_id': request.clientRequestId } : {}),
      },
    },
    parent,
  );
  const record: RequestRecord = {
    requestId: request.id,
    clientRequestId: request.clientRequestId,
    callerId: request.callerId,
    keyAlias: request.auth?.caller.keyAlias ?? null,
    teamId: request.auth?.caller.teamId ?? null,
    teamAlias: request.auth?.caller.teamAlias ?? null,
    virtualKey: request.auth?.key != null,
    endpoint: opened.endpoint,
    requestedModel: null,
    modelGroup: null,
    deploymentId: null,
    attempts: 0,
    providerCalls: 0,
    attemptTrail: [],
    fallbacks: 0,
    traceId: span.spanContext().traceId,
    started: performance.now(),
  };
  return { span, parent, record };
}

/**
 * Closes a request: one audit log line (the line an operator greps when the
 * bill looks wrong), the request metrics, and the end of the server span.
 */
export function finishRequest(
  record: RequestRecord,
  outcome: { delivery: Delivery | null; failure: GatewayError | null },
  sinks: { logger: Logger; metrics: IngressMetrics; span: Span },
): void {
  const status = outcome.delivery?.status ?? outcome.failure?.status ?? 500;
  const usage: Usage | null = outcome.delivery?.usage ?? null;
  const latencyMs = Math.round((performance.now() - record.started) * 100) / 100;
  sinks.metrics.requests.inc({ endpoint: record.endpoint, status: String(status), model: record.modelGroup ?? 'unknown' });
  sinks.metrics.duration.observe({ endpoint: record.endpoint }, latencyMs / 1000);
  if (record.virtualKey) {
    sinks.metrics.keyRequests.inc({ key_alias: sinks.metrics.keyLabel(record.keyAlias), team: sinks.metrics.teamLabel(record.teamAlias ?? record.teamId), status: String(status) });
  }
  if (usage) {
    sinks.metrics.tokens.inc({ model: record.modelGroup ?? 'unknown', kind: 'prompt' }, usage.prompt_tokens);
    sinks.metrics.tokens.inc({ model: record.modelGroup ?? 'unknown', kind: 'completion' }, usage.completion_tokens ?? 0);
  }
  sinks.logger.info(
    {
      audit: true,
      requestId: record.requestId,
      clientRequestId: record.clientRequestId,
      traceId: record.traceId,
      caller: record.callerId,
      keyAlias: record.keyAlias,
      team: record.teamId,
      teamAlias: record.teamAlias,
      endpoint: record.endpoint,
      requestedModel: record.requestedModel,
      deployment: record.deploymentId,
      providerCalls: record.providerCalls,
      attempts: record.attempts,
      fallbacks: record.fallbacks,
      attemptTrail: record.attemptTrail,
      status,
      outcome: outcome.delivery?.outcome ?? outcome.failure?.code ?? 'internal_error',
      usage,
      // USD, as the upstream-caller priced the call (a stream's cost is known only here and in the ledger, not in a header).
      cost: outcome.delivery?.cost ?? null,
      latencyMs,
    },
    'request',
  );
  const span = sinks.span;
  span.setAttribute('http.response.status_code', status);
  span.setAttribute('switchyard.attempts', record.attempts);
  span.setAttribute('switchyard.fallbacks', record.fallbacks);
  span.setAttribute('switchyard.provider_calls', record.providerCalls);
  if (record.deploymentId) span.setAttribute('switchyard.deployment', record.deploymentId);
  if (record.keyAlias) span.setAttribute('switchyard.key_alias', record.keyAlias);
  if (record.teamId) span.setAttribute('switchyard.team', record.teamId);
  if (usage) {
    span.setAttribute('gen_ai.usage.input_tokens', usage.prompt_tokens);
    span.setAttribute('gen_ai.usage.output_tokens', usage.completion_tokens ?? 0);
  }
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.failure?.code ?? 'error' });
  span.end();
}
