import { randomInt } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { NatsConnection } from 'nats';
import { connectBus, ensureEventsStream } from '@switchyard/bus';
import { busNames, type BusNames } from '@switchyard/contracts';
import { createDb, type Database, type Kysely } from '@switchyard/db';
import { startStack, StackError, type ReplicaExitEvent, type Stack } from '@switchyard/stack';
import { createLogger } from '@switchyard/telemetry';
import { createTestDatabase, eventually, uniquePrefix } from '../harness/isolation.js';
import { dropDatabase, generateWorkload, kvCells, processedCount, publishTurns, seededRandom, shuffled, storedCells, withoutVersion } from './workload.js';

/*
 * Invariant I3 through a crash: the learner runs as a real process (from
 * dist, started by the same `startStack` as `pnpm stack`), is SIGKILLed while
 * it works through a backlog of turn events, and is started again. Whatever
 * batch it was in (committed and not acked, or not committed), every event
 * must end up applied exactly once.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SEED = Number(process.env.LEARNER_TEST_SEED ?? Date.now() % 1_000_000);

describe(`learner: a learner process killed mid-backlog (seed ${SEED})`, () => {
  const workload = generateWorkload({ seed: SEED, sessions: 100, events: 5_000, duplicateRate: 0.05 });
  const total = workload.openers.length + workload.events.length;
  let names: BusNames;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let nc: NatsConnection;
  let db: Kysely<Database>;
  let stack: Stack | undefined;
  const output: string[] = [];
  const exits: ReplicaExitEvent[] = [];
  let exited: (event: ReplicaExitEvent) => void = () => undefined;

  beforeAll(async () => {
    const servers = inject('servers');
    names = busNames(uniquePrefix('crash'));
    database = await createTestDatabase(servers.postgresUrl);
    db = createDb(database.url, 2);
    nc = await connectBus({ url: servers.natsUrl, name: `${names.prefix}-publisher`, logger: createLogger({ service: 'test', level: 'silent' }) });
    await ensureEventsStream(nc, names);
    // The whole backlog is in the stream before the learner starts; each session's opener comes first.
    await publishTurns(nc, names, workload.openers);
    await publishTurns(nc, names, shuffled([...workload.events, ...workload.duplicates], seededRandom(SEED + 1)));

    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NATS_URL: servers.natsUrl,
      DATABASE_URL: database.url,
      SWITCHYARD_BUS_PREFIX: names.prefix,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // Small batches, so that the kill lands mid-backlog; a short ack wait, so that the events the
      // killed process held come back within seconds instead of the default 30.
      LEARNER_BATCH_MAX_ITEMS: '50',
      LEARNER_BATCH_MAX_DELAY_MS: '20',
      LEARNER_ACK_WAIT_MS: '2000',
    };
    // A base port whose range another process holds is refused before anything starts: try another.
    for (let attempt = 1; stack === undefined; attempt++) {
      try {
        stack = await startStack({
          root: ROOT,
          scale: { ingress: 0, limiter: 0, 'upstream-caller': 0, learner: 1, ledger: 0 },
          port: randomInt(20_000, 40_000),
          env,
          onOutput: (line) => output.push(line),
          onExit: (event) => {
            exits.push(event);
            exited(event);
          },
        });
      } catch (error) {
        const portTaken = error instanceof StackError && error.message.startsWith('cannot use port');
        if (!portTaken || attempt >= 3) throw error;
      }
    }
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await nc?.drain();
    await db?.destroy();
    if (database) await dropDatabase(inject('servers').postgresUrl, database.name);
  });

  it('learner: after SIGKILL and restart, every turn event has changed the cells exactly once', async () => {
    // Kill as soon as Postgres shows part of the backlog learned. One process applies its batches
    // in stream order, so once more than the openers are learned, every opener is.
    let seen = 0;
    for (;;) {
      seen = await processedCount(db);
      if (seen > workload.openers.length && seen < total) break;
      if (seen === total) throw new Error('the learner finished the backlog before the test could kill it');
    }
    const killed = new Promise<ReplicaExitEvent>((resolve) => (exited = resolve));
    stack!.kill('learner', 0, 'SIGKILL');
    expect(await killed).toMatchObject({ service: 'learner', signal: 'SIGKILL', expected: true });
    const atKill = await processedCount(db);
    expect(atKill).toBeGreaterThanOrEqual(seen);
    expect(atKill).toBeLessThan(total);

    await stack!.restart('learner', 0);
    await eventually(async () => ((await processedCount(db)) === total ? true : undefined), 60_000, `${total} processed events`);

    expect(withoutVersion(await storedCells(db))).toEqual(workload.expected);
    const sessions = await db.selectFrom('router_sessions').select(({ fn }) => fn.sum<string>('turns').as('turns')).executeTakeFirstOrThrow();
    expect(Number(sessions.turns)).toBe(total);
    // The restarted process published what it learned, and what the killed one had not.
    const stored = await storedCells(db);
    const kv = await nc.jetstream().views.kv(names.cellsBucket);
    const expected = { values: stored, keys: stored.length };
    const read = () => kvCells(nc, kv, names.cellsBucket, stored);
    await eventually(async () => (isDeepStrictEqual(await read(), expected) ? true : undefined), 15_000, 'the KV bucket to match Postgres');
    expect(exits.map((exit) => exit.signal)).toEqual(['SIGKILL']);
    expect(output.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
  }, 120_000);
});
