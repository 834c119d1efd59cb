import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { NatsConnection } from 'nats';
import { connectBus, ensureEventsStream } from '@switchyard/bus';
import { busNames, type BusNames, type CallCompleted } from '@switchyard/contracts';
import { createDb, migrateToLatest, type Database, type Kysely } from '@switchyard/db';
import { createLogger } from '@switchyard/telemetry';
import { createTestDatabase, eventually, freePort, uniquePrefix } from '../harness/index.js';
import { callerOf, completedEvent, expectedTotals, KEY_A, KEY_B, ledgerCounts, publishEvents, totals } from './fixtures.js';

/**
 * The ledger as a real process (from dist), SIGKILLed again and again while
 * events stream in, at whatever point of a batch it is (mid-transaction,
 * between the commit and the ack): once a last one has caught up, every
 * event has exactly one row and every call counts once in the totals.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KILLS = 3;
const EVENTS = 3_000;

describe('ledger: a ledger process killed mid-stream', () => {
  let names: BusNames;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Kysely<Database>;
  let nc: NatsConnection;
  let child: ChildProcess | null = null;
  const output: string[] = [];

  async function startProcess(): Promise<ChildProcess> {
    const servers = inject('servers');
    const proc = spawn(process.execPath, ['services/ledger/dist/main.js'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NATS_URL: servers.natsUrl,
        DATABASE_URL: database.url,
        SWITCHYARD_BUS_PREFIX: names.prefix,
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
        // Small batches, so a kill lands inside one; a short ack wait, so the killed one's messages come back soon.
        LEDGER_BATCH_MAX_MESSAGES: '2',
        LEDGER_ACK_WAIT_MS: '1500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    return proc;
  }

  beforeAll(async () => {
    const servers = inject('servers');
    names = busNames(uniquePrefix('ledgerkill'));
    database = await createTestDatabase(servers.postgresUrl);
    db = createDb(database.url, 2);
    // The processes migrate too; the test reads the tables before the first one is up.
    await migrateToLatest(db);
    nc = await connectBus({ url: servers.natsUrl, name: `${names.prefix}-publisher`, logger: createLogger({ service: 'test', level: 'silent' }) });
    await ensureEventsStream(nc, names);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    await (await nc.jetstreamManager()).streams.delete(names.eventsStream).catch(() => undefined);
    await nc.close();
    await db.destroy();
    await database.drop();
  });

  it('ledger: rows and totals are exact after repeated SIGKILLs under a stream of events', async () => {
    const callers = [callerOf(KEY_A, 'alice-key', 'team-a', 'alice'), callerOf(KEY_B, 'bob-key', 'team-b', 'bob')];
    const events: CallCompleted[] = Array.from({ length: EVENTS }, (_, i) => completedEvent(i, callers[i % 2]!, 0.0001 * (1 + (i % 13))));
    // Some events arrive twice, as a publisher's retry after a lost ack would send them.
    const stream = [...events, ...events.filter((_, i) => i % 17 === 0)];
    let published = 0;
    let publishFailure: unknown = null;
    const publishing = (async () => {
      for (let start = 0; start < stream.length; start += 20) {
        await publishEvents(nc, names, stream.slice(start, start + 20), 20);
        published = Math.min(stream.length, start + 20);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })().catch((error: unknown) => (publishFailure = error));

    for (let kill = 1; kill <= KILLS; kill++) {
      child = await startProcess();
      const before = (await ledgerCounts(db)).rows;
      // Killed once it is writing: some rows more than before, the stream still coming.
      await eventually(async () => ((await ledgerCounts(db)).rows > before + 50 ? true : undefined), 30_000, `ledger run ${kill} writing`);
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    await publishing;
    expect(publishFailure).toBeNull();
    expect(published).toBe(stream.length);
    child = await startProcess();
    await eventually(async () => ((await ledgerCounts(db)).rows === EVENTS ? true : undefined), 60_000, 'every event written');
    await eventually(
      async () => {
        const info = await (await nc.jetstreamManager()).consumers.info(names.eventsStream, names.consumers.ledgerCalls);
        return info.num_pending + info.num_ack_pending === 0 ? true : undefined;
      },
      30_000,
      'every message acked',
    );
    const counts = await ledgerCounts(db);
    expect(counts.rows, output.join('')).toBe(EVENTS);
    expect(counts.distinctEvents).toBe(EVENTS);
    expect(counts.totalCost).toBeCloseTo(events.reduce((sum, event) => sum + (event.cost ?? 0), 0), 9);
    const actual = await totals(db);
    for (const [scope, want] of expectedTotals(events)) {
      expect(actual.get(scope)?.calls, scope).toBe(want.calls);
      expect(actual.get(scope)?.spend, scope).toBeCloseTo(want.spend, 9);
    }
  });
});
