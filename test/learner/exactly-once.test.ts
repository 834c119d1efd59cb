import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KV, NatsConnection } from 'nats';
import { connectBus } from '@switchyard/bus';
import { busNames, type BusNames } from '@switchyard/contracts';
import { createDb, type Database, type Kysely } from '@switchyard/db';
import { createLearner, type LearnerService } from '@switchyard/learner';
import { createLogger, createMetricsRegistry, type Registry } from '@switchyard/telemetry';
import { createTestDatabase, eventually, uniquePrefix } from '../harness/isolation.js';
import { dropDatabase, generateWorkload, kvCells, processedCount, publishTurns, seededRandom, shuffled, storedCells, withoutVersion } from './workload.js';

/*
 * Invariant I3 with two learner replicas on one durable consumer: 10,000 turn
 * events published concurrently, ~5% of them twice (no message id, so
 * JetStream's dedupe does not hide them). Every event must change the cells
 * exactly once, and the KV bucket must end up holding what Postgres holds.
 */

const SEED = Number(process.env.LEARNER_TEST_SEED ?? Date.now() % 1_000_000);

interface Replica {
  nc: NatsConnection;
  db: Kysely<Database>;
  registry: Registry;
  learner: LearnerService;
}

async function turnEventCount(registry: Registry, outcome: string): Promise<number> {
  const metric = await registry.getSingleMetric('switchyard_learner_turn_events_total')?.get();
  return metric?.values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
}

describe(`learner: exactly-once learning with two replicas (seed ${SEED})`, () => {
  const workload = generateWorkload({ seed: SEED, sessions: 120, events: 10_000, duplicateRate: 0.05 });
  let names: BusNames;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let publisher: NatsConnection;
  let db: Kysely<Database>;
  let kv: KV;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    const servers = inject('servers');
    names = busNames(uniquePrefix('learn'));
    database = await createTestDatabase(servers.postgresUrl);
    db = createDb(database.url, 2);
    const logger = createLogger({ service: 'test', level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent' });
    const start = async (index: number): Promise<Replica> => {
      const nc = await connectBus({ url: servers.natsUrl, name: `${names.prefix}-learner-${index}`, logger });
      const replicaDb = createDb(database.url, 4);
      const registry = createMetricsRegistry('learner', `learner-${index}`);
      const learner = createLearner({
        nc,
        names,
        db: replicaDb,
        logger: logger.child({ replica: index }),
        registry,
        batch: { maxItems: 50, maxDelayMs: 20 },
      });
      await learner.start();
      return { nc, db: replicaDb, registry, learner };
    };
    // Started together: migrations, stream, consumer and bucket creation race as replicas of a real deployment do.
    replicas.push(...(await Promise.all([start(0), start(1)])));
    publisher = await connectBus({ url: servers.natsUrl, name: `${names.prefix}-publisher`, logger });
    kv = await publisher.jetstream().views.kv(names.cellsBucket);
  });

  afterAll(async () => {
    for (const replica of replicas) {
      await replica.learner.stop();
      await replica.nc.drain();
      await replica.db.destroy();
    }
    await publisher?.drain();
    await db?.destroy();
    if (database) await dropDatabase(inject('servers').postgresUrl, database.name);
  });

  it('learner: 10,000 concurrent turn events with 5% duplicates change the cells exactly once', async () => {
    // A session's first turn is learned before its later turns, as in a real conversation.
    await publishTurns(publisher, names, workload.openers);
    const openers = workload.openers.length;
    await eventually(async () => ((await processedCount(db)) === openers ? true : undefined), 30_000, 'the openers to be learned');

    const random = seededRandom(SEED + 1);
    await publishTurns(publisher, names, shuffled([...workload.events, ...workload.duplicates], random));
    const total = openers + workload.events.length;
    await eventually(async () => ((await processedCount(db)) === total ? true : undefined), 90_000, `${total} processed events`);

    expect(withoutVersion(await storedCells(db))).toEqual(workload.expected);
    // Every event was applied by exactly one replica; both replicas took a share.
    const applied = await Promise.all(replicas.map((replica) => turnEventCount(replica.registry, 'applied')));
    expect(applied.reduce((sum, count) => sum + count, 0)).toBe(total);
    expect(applied.every((count) => count > 0)).toBe(true);
    const duplicates = await Promise.all(replicas.map((replica) => turnEventCount(replica.registry, 'duplicate')));
    expect(duplicates.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(workload.duplicates.length);

    const sessions = await db
      .selectFrom('router_sessions')
      .select(({ fn }) => [fn.countAll<string>().as('sessions'), fn.sum<string>('turns').as('turns')])
      .executeTakeFirstOrThrow();
    expect({ sessions: Number(sessions.sessions), turns: Number(sessions.turns) }).toEqual({ sessions: openers, turns: total });
  });

  it('learner: the KV bucket holds the Postgres value of every cell', async () => {
    const stored = await storedCells(db);
    expect(stored.length).toBe(workload.expected.length);
    const expected = { values: stored, keys: stored.length };
    // Published after each commit: the last batch's cells may still be on their way.
    const read = () => kvCells(publisher, kv, names.cellsBucket, stored);
    await eventually(async () => (isDeepStrictEqual(await read(), expected) ? true : undefined), 15_000, 'the KV bucket to match Postgres');
    expect(await read()).toEqual(expected);
  });

  it('learner: a malformed turn event is terminated and counted, and the events behind it are learned', async () => {
    const before = await processedCount(db);
    const js = publisher.jetstream();
    await js.publish(names.subjects.turn, 'not json');
    await js.publish(names.subjects.turn, JSON.stringify({ ...workload.events[0], eventId: '' }));
    await publishTurns(publisher, names, [{ ...workload.events[0]!, eventId: 'after-the-malformed-ones' }]);
    await eventually(async () => ((await processedCount(db)) === before + 1 ? true : undefined), 15_000, 'the valid event to be learned');
    // Terminated in whichever replica's batch they landed: counted once that batch is flushed.
    const malformed = async () => (await Promise.all(replicas.map((replica) => turnEventCount(replica.registry, 'malformed')))).reduce((a, b) => a + b, 0);
    await eventually(async () => ((await malformed()) >= 2 ? true : undefined), 15_000, 'the malformed events to be counted');
    expect(await malformed()).toBe(2);
  });
});
