import { Counter, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from '@switchyard/telemetry';

export function createCallerMetrics(registry: Registry) {
  return {
    calls: new Counter({
      name: 'switchyard_provider_calls_total',
      help: 'Provider calls made, by deployment, HTTP status and outcome',
      labelNames: ['deployment', 'status', 'outcome'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'switchyard_provider_call_duration_seconds',
      help: 'Duration of provider calls, to the end of the response or stream',
      labelNames: ['deployment'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'switchyard_provider_calls_in_flight',
      help: 'Provider calls in progress',
      registers: [registry],
    }),
    eventPublishFailures: new Counter({
      name: 'switchyard_call_event_publish_failures_total',
      help: 'Failed attempts to publish a batch of call-completed events to JetStream (each is retried)',
      registers: [registry],
    }),
    eventsDropped: new Counter({
      name: 'switchyard_call_events_dropped_total',
      help: 'Call-completed events given up on: buffer_full (JetStream away, buffer bound reached) or publish_deadline',
      labelNames: ['reason'],
      registers: [registry],
    }),
    eventBatchSize: new Histogram({
      name: 'switchyard_call_event_batch_size',
      help: 'Call-completed events per JetStream message',
      buckets: [1, 2, 5, 10, 25, 50, 100, 200],
      registers: [registry],
    }),
  };
}
