import { FeedbackEvent } from '@switchyard/contracts';
import { traceContextOf } from '@switchyard/bus';
import { Counter, Histogram } from '@switchyard/telemetry';
import { createBatchedConsumer, type BatchedConsumer } from './batched-consumer.js';
import type { CellsPublisher } from './cells-publisher.js';
import { applyFeedbackBatch } from './feedback-batch.js';
import type { ResolvedLearnerDeps } from './service.js';

/** Explicit scores -> bandit cells in Postgres, then the changed cells -> the KV bucket. */
export function createFeedbackConsumer(deps: ResolvedLearnerDeps, cells: CellsPublisher): BatchedConsumer {
  const { nc, names, db, logger, registry } = deps;
  return createBatchedConsumer({
    nc,
    names,
    logger,
    durable: names.consumers.learnerFeedback,
    filterSubject: names.subjects.feedback,
    schema: FeedbackEvent,
    unpack: (event, msg) => [{ event, trace: traceContextOf(msg) }],
    kind: 'feedback',
    batch: deps.batch,
    ackWaitMs: deps.ackWaitMs,
    metrics: {
      events: new Counter({
        name: 'switchyard_learner_feedback_events_total',
        help: 'Explicit feedback events handled by the learner, by outcome (applied, duplicate, malformed)',
        labelNames: ['outcome'],
        registers: [registry],
      }),
      batchSize: new Histogram({
        name: 'switchyard_learner_feedback_batch_size',
        help: 'Feedback events per learner flush',
        buckets: [1, 5, 10, 50, 100, 250, 500, 1000],
        registers: [registry],
      }),
    },
    apply: async (events) => {
      const { applied, changed } = await applyFeedbackBatch(db, events);
      return { applied, afterAck: async () => void (await cells.publish(changed)) };
    },
  });
}
