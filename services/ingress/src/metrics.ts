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
    duration: new Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'Client request duration, to the last byte of the response',
      labelNames: ['endpoint'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}
