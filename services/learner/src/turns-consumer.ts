import { TurnEvent } from '@switchyard/contracts';
import { traceContextOf } from '@switchyard/bus';
import { Counter, Histogram } from '@switchyard/telemetry';
import { createBatchedConsumer, type BatchedConsumer } from './batched-consumer.js';
import type { CellsPublisher } from './cells-publisher.js';
import type { ResolvedLearnerDeps } from './service.js';
import { applyTurnBatch } from './turn-batch.js';

/**
 * Most turn events in flight, over every replica: bounds what waits in a
 * replica's batcher, so that nothing waits there longer than the ack wait.
 */
const MAX_ACK_PENDING = 2_000;

/** Turn events -> bandit cells and session flags in Postgres, then the changed cells -> the KV bucket. */
export function createTurnsConsumer(deps: ResolvedLearnerDeps, cells: CellsPublisher): BatchedConsumer {
  const { nc, names, db, logger, registry } = deps;
  const cellsUpdated = new Counter({
    name: 'switchyard_learner_cells_updated_total',
    help: 'Bandit cell updates committed (one per cell per batch that changed it)',
    registers: [registry],
  });
  return createBatchedConsumer({
    nc,
    names,
    logger,
    durable: names.consumers.learnerTurns,
    filterSubject: names.subjects.turn,
    schema: TurnEvent,
    unpack: (event, msg) => [{ event, trace: traceContextOf(msg) }],
    kind: 'turn',
    batch: deps.batch,
    ackWaitMs: deps.ackWaitMs,
    maxAckPending: MAX_ACK_PENDING,
    metrics: {
      events: new Counter({
        name: 'switchyard_learner_turn_events_total',
        help: 'Turn events handled by the learner, by outcome (applied, duplicate, malformed)',
        labelNames: ['outcome'],
        registers: [registry],
      }),
      batchSize: new Histogram({
        name: 'switchyard_learner_turn_batch_size',
        help: 'Turn events per learner flush',
        buckets: [1, 5, 10, 50, 100, 250, 500, 1000],
        registers: [registry],
      }),
    },
    apply: async (events) => {
      const { applied, changed } = await applyTurnBatch(db, events);
      cellsUpdated.inc(changed.length);
      return { applied, afterAck: async () => void (await cells.publish(changed)) };
    },
  });
}
