import type { NatsConnection } from 'nats';
import type { BusNames } from '@switchyard/contracts';
import { migrateToLatest, type Database, type Kysely } from '@switchyard/db';
import type { Logger, Registry } from '@switchyard/telemetry';
import { createCallsConsumer } from './calls-consumer.js';
import { createLedgerMetrics } from './metrics.js';
import { applySpendBatch } from './spend-batch.js';
import { serveSpendQueries } from './spend-handlers.js';

export interface LedgerDeps {
  nc: NatsConnection;
  names: BusNames;
  db: Kysely<Database>;
  logger: Logger;
  registry: Registry;
  /** JetStream messages written per transaction at most (default 20; each holds up to a few hundred calls). */
  maxMessages?: number | undefined;
  /** JetStream ack wait (default 30 s): how soon a crashed replica's events come back. */
  ackWaitMs?: number | undefined;
  /** Test hook: runs after a batch committed, before its messages are acked. */
  beforeAck?: () => Promise<void> | void;
}

export interface LedgerService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** JetStream messages held in memory right now (at most one batch). */
  readonly held: number;
}

/**
 * The spend ledger: one durable JetStream consumer that writes a row per
 * provider call to Postgres exactly once (and adds its cost to the key's,
 * team's and user's totals in the same transaction), and the request/reply
 * subjects the ingress's spend routes and key/team info read.
 */
export function createLedger(deps: LedgerDeps): LedgerService {
  const { nc, names, db, logger } = deps;
  const metrics = createLedgerMetrics(deps.registry);
  const consumer = createCallsConsumer({
    nc,
    names,
    logger,
    metrics,
    maxMessages: deps.maxMessages ?? 20,
    ackWaitMs: deps.ackWaitMs ?? 30_000,
    apply: (events) => applySpendBatch(db, events),
    ...(deps.beforeAck ? { beforeAck: deps.beforeAck } : {}),
  });
  const queries = serveSpendQueries(nc, names, db, logger);
  return {
    get held() {
      return consumer.held;
    },
    async start() {
      const applied = await migrateToLatest(db);
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
      queries.start();
      await consumer.start();
    },
    async stop() {
      await queries.stop();
      await consumer.stop();
    },
  };
}
