import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import { consumeDurable, traceContextOf } from '@switchyard/bus';
import { CallCompleted, type BusNames } from '@switchyard/contracts';
import { migrateToLatest, type Database, type Kysely } from '@switchyard/db';
import { Counter, Histogram, SpanKind, SpanStatusCode, switchyardTracer, trace, type Link, type Logger, type Registry } from '@switchyard/telemetry';
import { Batcher } from './batcher.js';
import { applyUsageBatch } from './usage-batch.js';

export interface LearnerDeps {
  nc: NatsConnection;
  names: BusNames;
  db: Kysely<Database>;
  logger: Logger;
  registry: Registry;
  batch?: { maxItems: number; maxDelayMs: number };
}

export interface LearnerService {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Redelivery delay after a failed flush (Postgres down): JetStream keeps the events meanwhile. */
const RETRY_DELAY_MS = 2_000;

/**
 * Consumes call-completed events from a durable JetStream consumer and applies
 * them to Postgres in batches, acking each message only after its batch
 * committed: a crash before the commit means redelivery, and the event-id
 * table makes redelivery harmless.
 */
export function createLearner(deps: LearnerDeps): LearnerService {
  const { nc, names, db, logger } = deps;
  const batchSize = new Histogram({
    name: 'switchyard_learner_batch_size',
    help: 'Events per learner flush',
    buckets: [1, 5, 10, 50, 100, 250, 500, 1000],
    registers: [deps.registry],
  });
  const events = new Counter({
    name: 'switchyard_learner_events_total',
    help: 'Events handled by the learner, by outcome',
    labelNames: ['outcome'],
    registers: [deps.registry],
  });
  const tracer = switchyardTracer();
  let messages: ConsumerMessages | null = null;
  let loop: Promise<void> | null = null;

  const batcher = new Batcher<JsMsg>({
    maxItems: deps.batch?.maxItems ?? 200,
    maxDelayMs: deps.batch?.maxDelayMs ?? 250,
    flush: async (batch) => {
      const parsed: CallCompleted[] = [];
      const valid: JsMsg[] = [];
      for (const msg of batch) {
        const event = CallCompleted.safeParse(safeJson(msg));
        if (event.success) {
          parsed.push(event.data);
          valid.push(msg);
        } else {
          events.inc({ outcome: 'malformed' });
          logger.error({ subject: msg.subject, seq: msg.seq }, 'malformed call-completed event: terminated');
          msg.term();
        }
      }
      // One span per batch, linked to the trace of every request whose event it applied.
      const span = tracer.startSpan('learner apply batch', {
        kind: SpanKind.CONSUMER,
        attributes: { 'switchyard.batch_size': valid.length },
        links: valid.map((msg) => ({ context: trace.getSpanContext(traceContextOf(msg)) })).filter(hasContext),
      });
      try {
        const applied = await applyUsageBatch(db, parsed);
        for (const msg of valid) msg.ack();
        batchSize.observe(valid.length);
        events.inc({ outcome: 'applied' }, applied);
        events.inc({ outcome: 'duplicate' }, valid.length - applied);
      } catch (error) {
        logger.error({ err: error, events: valid.length }, 'flush failed: events will be redelivered');
        for (const msg of valid) msg.nak(RETRY_DELAY_MS);
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'flush failed' });
      } finally {
        span.end();
      }
    },
  });

  return {
    async start() {
      const applied = await migrateToLatest(db);
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
      messages = await consumeDurable(nc, names, {
        durable: names.consumers.learnerCalls,
        filterSubject: names.subjects.callCompleted,
      });
      const iterator = messages;
      loop = (async () => {
        for await (const msg of iterator) batcher.push(msg);
      })();
      logger.info({ stream: names.eventsStream, durable: names.consumers.learnerCalls }, 'learner consuming call-completed events');
    },
    async stop() {
      await messages?.close();
      await loop;
      await batcher.drain();
    },
  };
}

function hasContext(link: { context: Link['context'] | undefined }): link is Link {
  return link.context !== undefined;
}

function safeJson(msg: JsMsg): unknown {
  try {
    return msg.json();
  } catch {
    return null;
  }
}
