import { Counter, Histogram, LATENCY_BUCKETS, type Registry } from '@switchyard/telemetry';

export type IngressMetrics = ReturnType<typeof createIngressMetrics>;

export function createIngressMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'switchyard_http_requests_total',
      help: 'Client requests to the OpenAI API, by endpoint, status and requested model',
      labelNames: ['endpoint', 'status', 'model'],
      registers: [registry],
    }),
    tokens: new Counter({
      name: 'switchyard_tokens_total',
      help: 'Tokens reported by providers, by model group and kind (prompt, completion)',
      labelNames: ['model', 'kind'],
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'switchyard_attempts_total',
      help: 'Retries and fallbacks the attempt policy sent after a failed attempt, by kind (retry, fallback) and requested model group',
      labelNames: ['kind', 'model'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'Client request duration, to the last byte of the response',
      labelNames: ['endpoint'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}
