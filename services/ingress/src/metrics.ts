import { Counter, Histogram, LATENCY_BUCKETS, type Registry } from '@switchyard/telemetry';

export type IngressMetrics = ReturnType<typeof createIngressMetrics>;

/** Distinct key aliases and teams a label may take; the rest count under "other", so a key per user cannot blow up the series. */
const MAX_LABEL_VALUES = 200;

/** A label that takes the first `max` distinct values it sees, then "other". */
export function boundedLabel(max = MAX_LABEL_VALUES): (value: string | null) => string {
  const seen = new Set<string>();
  return (value) => {
    if (value === null || value === '') return 'none';
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}

export function createIngressMetrics(registry: Registry) {
  return {
    keyLabel: boundedLabel(),
    teamLabel: boundedLabel(),
    keyRequests: new Counter({
      name: 'switchyard_key_requests_total',
      help: 'Client requests made with a virtual key, by key alias, team and status (at most 200 aliases and teams each, the rest as "other")',
      labelNames: ['key_alias', 'team', 'status'],
      registers: [registry],
    }),
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
