import { CallsCompleted } from '@switchyard/contracts';
import { Counter, extractContext, Histogram } from '@switchyard/telemetry';
import { createBatchedConsumer, type BatchedConsumer } from './batched-consumer.js';
import type { ResolvedLearnerDeps } from './service.js';
import { applyUsageBatch } from './usage-batch.js';

/** Call-completed events -> per-deployment usage totals in Postgres. */
export function createCallsConsumer(deps: ResolvedLearnerDeps): BatchedConsumer {
  const { nc, names, db, logger, registry } = deps;
  return createBatchedConsumer({
    nc,
    names,
    logger,
    durable: names.consumers.learnerCalls,
    filterSubject: names.subjects.callCompleted,
    schema: CallsCompleted,
    unpack: (message) => message.events.map((event) => ({ event, trace: extractContext((name) => event.traceContext?.[name]) })),
    kind: 'call-completed',
    batch: deps.batch,
    ackWaitMs: deps.ackWaitMs,
    metrics: {
      events: new Counter({
        name: 'switchyard_learner_events_total',
        help: 'Call-completed events handled by the learner, by outcome',
        labelNames: ['outcome'],
        registers: [registry],
      }),
      batchSize: new Histogram({
        name: 'switchyard_learner_batch_size',
        help: 'Call-completed events per learner flush',
        buckets: [1, 5, 10, 50, 100, 250, 500, 1000],
        registers: [registry],
      }),
    },
    apply: async (events) => ({ applied: await applyUsageBatch(db, events) }),
  });
}
