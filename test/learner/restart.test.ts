import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KV, NatsConnection } from 'nats';
import { connectBus } from '@switchyard/bus';
import { busNames, cellKey, type BusNames } from '@switchyard/contracts';
import { createDb, type Database, type Kysely } from '@switchyard/db';
import { createLearner, type LearnerService } from '@switchyard/learner';
import { createLogger, createMetricsRegistry } from '@switchyard/telemetry';
import { createTestDatabase, eventually, uniquePrefix } from '../harness/isolation.js';
import { dropDatabase, generateWorkload, kvCells, processedCount, publishTurns, storedCells, withoutVersion } from './workload.js';

/*
 * Invariant I3, "on start every replica serves the persisted state": the
 * learner publishes every cell in Postgres to the KV bucket when it starts,
 * so a wiped bucket (or a lost or stale key) is whole again once a learner
 * has started, without a single new event.
 */

const SEED = Number(process.env.LEARNER_TEST_SEED ?? Date.now() % 1_000_000);

describe(`learner: a restarted learner restores the KV bucket from Postgres (seed ${SEED})`, () => {
  const workload = generateWorkload({ seed: SEED, sessions: 40, events: 600, duplicateRate: 0 });
  const logger = createLogger({ service: 'test', level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent' });
  let names: BusNames;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let nc: NatsConnection;
  let db: Kysely<Database>;
  let running: { learner: LearnerService; nc: NatsConnection; db: Kysely<Database> } | null = null;

  /** A learner as a fresh process would build it: its own connection, pool and registry. */
  async function startLearner(): Promise<void> {
    const servers = inject('servers');
    const learnerNc = await connectBus({ url: servers.natsUrl, name: `${names.prefix}-learner`, logger });
    const learnerDb = createDb(database.url, 4);
    const learner = createLearner({ nc: learnerNc, names, db: learnerDb, logger, registry: createMetricsRegistry('learner', 'learner-0') });
    await learner.start();
    running = { learner, nc: learnerNc, db: learnerDb };
  }

  async function stopLearner(): Promise<void> {
    if (!running) return;
    await running.learner.stop();
    await running.nc.drain();
    await running.db.destroy();
    running = null;
  }

  async function openKv(): Promise<KV> {
    return nc.jetstream().views.kv(names.cellsBucket);
  }

  beforeAll(async () => {
    const servers = inject('servers');
    names = busNames(uniquePrefix('restart'));
    database = await createTestDatabase(servers.postgresUrl);
    db = createDb(database.url, 2);
    nc = await connectBus({ url: servers.natsUrl, name: `${names.prefix}-test`, logger });
    await startLearner();
    await publishTurns(nc, names, workload.openers);
    const openers = workload.openers.length;
    await eventually(async () => ((await processedCount(db)) === openers ? true : undefined), 30_000, 'the openers to be learned');
    await publishTurns(nc, names, workload.events);
    const total = openers + workload.events.length;
    await eventually(async () => ((await processedCount(db)) === total ? true : undefined), 30_000, `${total} processed events`);
    expect(withoutVersion(await storedCells(db))).toEqual(workload.expected);
  });

  afterEach(async () => {
    await stopLearner();
  });

  afterAll(async () => {
    await stopLearner();
    await nc?.drain();
    await db?.destroy();
    if (database) await dropDatabase(inject('servers').postgresUrl, database.name);
  });

  it('learner: after the KV bucket is deleted, a restarted learner republishes every cell with its Postgres value', async () => {
    await stopLearner();
    const stored = await storedCells(db);
    expect(stored.length).toBeGreaterThan(0);
    const before = await openKv();
    expect(await kvCells(nc, before, names.cellsBucket, stored)).toEqual({ values: stored, keys: stored.length });

    await before.destroy();
    const jsm = await nc.jetstreamManager();
    await expect(jsm.streams.info(`KV_${names.cellsBucket}`)).rejects.toThrow(/stream not found/);

    await startLearner();
    // start() resolves after the publication: no wait, no new event.
    expect(await kvCells(nc, await openKv(), names.cellsBucket, stored)).toEqual({ values: stored, keys: stored.length });
    expect(await storedCells(db)).toEqual(stored);
  });

  it('learner: at start a deleted key is restored, a stale value replaced, and a newer value kept', async () => {
    await stopLearner();
    const stored = await storedCells(db);
    expect(stored.length).toBeGreaterThanOrEqual(3);
    const [deleted, stale, newer] = stored as [(typeof stored)[0], (typeof stored)[0], (typeof stored)[0]];
    const kv = await openKv();
    const key = (cell: (typeof stored)[0]) => cellKey(cell.router, cell.requestType, cell.model);
    await kv.delete(key(deleted));
    await kv.put(key(stale), JSON.stringify({ ...stale, alpha: stale.alpha + 100, version: stale.version - 1 }));
    // A value from a newer commit than this learner's Postgres read is never overwritten with an older one.
    const newerValue = { ...newer, beta: newer.beta + 7, samples: newer.samples + 1, version: newer.version + 1 };
    await kv.put(key(newer), JSON.stringify(newerValue));

    await startLearner();
    const expected = stored.map((cell) => (cell === newer ? newerValue : cell));
    expect(await kvCells(nc, kv, names.cellsBucket, stored)).toEqual({ values: expected, keys: stored.length });
  });
});
