import type { NatsConnection } from 'nats';
import { busState } from '@switchyard/bus';
import type { BusNames } from '@switchyard/contracts';
import { migrateToLatest, type Database, type Kysely } from '@switchyard/db';
import { Counter, Gauge, type Logger, type Registry } from '@switchyard/telemetry';
import type { BatchSettings } from './batched-consumer.js';
import { createCallsConsumer } from './calls-consumer.js';
import { createCellsPublisher } from './cells-publisher.js';
import { expireProcessedEvents, expireSessions, expireTeacherEvidence } from './sessions.js';
import { createTurnsConsumer } from './turns-consumer.js';
import { createFeedbackConsumer } from './feedback-consumer.js';

export interface LearnerDeps {
  nc: NatsConnection;
  names: BusNames;
  db: Kysely<Database>;
  logger: Logger;
  registry: Registry;
  /** Batching of both consumers (default 200 events or 250 ms). */
  batch?: BatchSettings | undefined;
  /** JetStream ack wait of both consumers (default 30 s): how soon a crashed replica's events come back. */
  ackWaitMs?: number | undefined;
  /** Sessions untouched this long are deleted (default 24 h). */
  sessionTtlMs?: number | undefined;
  /** How often expired sessions are deleted (default 10 min; also once at start). */
  sessionSweepMs?: number | undefined;
}

export type ResolvedLearnerDeps = LearnerDeps & { batch: BatchSettings };

export interface LearnerService {
  start(): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_BATCH: BatchSettings = { maxItems: 200, maxDelayMs: 250 };
const DEFAULT_SESSION_TTL_MS = 24 * 3600_000;
const DEFAULT_SESSION_SWEEP_MS = 10 * 60_000;

/**
 * The learner: two durable JetStream consumers that apply events to Postgres
 * in batches, each message acked only after its batch committed.
 *
 * - call-completed events -> per-deployment usage totals;
 * - turn events -> bandit cells (evidence added in SQL) and session flags,
 *   then the changed cells -> the NATS KV bucket the ingress replicas watch.
 *
 * On start it publishes every persisted cell to the bucket, so the learned
 * state is served even when the bucket was wiped, and it deletes sessions
 * idle for a day, then every few minutes.
 */
export function createLearner(deps: LearnerDeps): LearnerService {
  const { db, logger } = deps;
  const resolved: ResolvedLearnerDeps = { ...deps, batch: deps.batch ?? DEFAULT_BATCH };
  const sessionTtlMs = deps.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const sessionSweepMs = deps.sessionSweepMs ?? DEFAULT_SESSION_SWEEP_MS;
  const kvFailures = new Counter({
    name: 'switchyard_learner_kv_publish_failures_total',
    help: 'Cells the learner failed to publish to the KV bucket',
    registers: [deps.registry],
  });
  const sessionsExpired = new Counter({
    name: 'switchyard_learner_sessions_expired_total',
    help: 'Idle adaptive-router sessions deleted from Postgres',
    registers: [deps.registry],
  });
  const cells = createCellsPublisher({ nc: deps.nc, bucket: deps.names.cellsBucket, logger, failures: kvFailures });
  const consumers = [createTurnsConsumer(resolved, cells), createCallsConsumer(resolved), createFeedbackConsumer(resolved, cells)];
  let sweepTimer: NodeJS.Timeout | null = null;
  let sweeping: Promise<void> | null = null;

  const sweep = (): Promise<void> => {
    sweeping ??= Promise.all([expireSessions(db, sessionTtlMs), expireProcessedEvents(db), expireTeacherEvidence(db)])
      .then(([deleted, forgotten]) => {
        sessionsExpired.inc(deleted);
        if (deleted > 0 || forgotten > 0) logger.info({ sessions: deleted, eventIds: forgotten }, 'expired idle sessions and old event ids');
      })
      .catch((error: unknown) => logger.error({ err: error }, 'session expiry failed: retried at the next sweep'))
      .finally(() => {
        sweeping = null;
      });
    return sweeping;
  };

  /**
   * Learner lag: events JetStream holds for each durable that are not acked
   * yet, read at scrape time. While NATS is away the last values stand: a
   * scrape must answer at once, not wait out JetStream's request timeouts
   * (one per durable, 5 s each, which made every scrape time out).
   */
  async function registerLag(): Promise<void> {
    const jsm = await deps.nc.jetstreamManager();
    const bus = busState(deps.nc);
    const durables = [deps.names.consumers.learnerTurns, deps.names.consumers.learnerCalls];
    new Gauge({
      name: 'switchyard_learner_pending_events',
      help: 'Events waiting for the learner (not yet delivered, or delivered and not yet acked), by consumer',
      labelNames: ['consumer'],
      registers: [deps.registry],
      async collect() {
        if (!bus.connected) return;
        await Promise.all(
          durables.map(async (durable) => {
            const info = await jsm.consumers.info(deps.names.eventsStream, durable).catch(() => null);
            if (info) this.set({ consumer: durable }, info.num_pending + info.num_ack_pending);
          }),
        );
      },
    });
  }

  return {
    async start() {
      const applied = await migrateToLatest(db);
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
      const failed = await cells.publishAll(db);
      if (failed > 0) throw new Error(`${failed} persisted cells could not be published to KV bucket ${deps.names.cellsBucket}`);
      for (const consumer of consumers) await consumer.start();
      await registerLag();
      await sweep();
      sweepTimer = setInterval(() => void sweep(), sessionSweepMs);
      sweepTimer.unref();
    },
    async stop() {
      if (sweepTimer) clearInterval(sweepTimer);
      sweepTimer = null;
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      await sweeping;
    },
  };
}
