import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { NatsConnection } from 'nats';
import { connectBus, ensureEventsStream } from '@switchyard/bus';
import { busNames, type BusNames, type CallCompleted } from '@switchyard/contracts';
import { createDb, type Database, type Kysely } from '@switchyard/db';
import { createLedger, type LedgerService } from '@switchyard/ledger';
import { createLogger, createMetricsRegistry } from '@switchyard/telemetry';
import { createTestDatabase, eventually, uniquePrefix } from '../harness/index.js';
import { callerOf, completedEvent, expectedTotals, KEY_A, KEY_B, ledgerCounts, publishEvents, totals } from './fixtures.js';

/**
 * The ledger writes one row per provider call, exactly once: a redelivered
 * message, an event repeated in two messages or twice in one, and a ledger
 * that dies after its commit but before its ack all leave one row per event
 * and totals that count each call once.
 */

const logger = createLogger({ service: 'test', level: 'silent' });

describe('ledger: one row per call, exactly once', () => {
  let names: BusNames;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Kysely<Database>;
  let publisher: NatsConnection;
  const ledgers: Array<{ ledger: LedgerService; nc: NatsConnection; db: Kysely<Database> }> = [];

  async function startLedger(options: { ackWaitMs?: number; beforeAck?: () => Promise<void> | void; maxMessages?: number } = {}) {
    const servers = inject('servers');
    const nc = await connectBus({ url: servers.natsUrl, name: `${names.prefix}-ledger-${ledgers.length}`, logger });
    const ledgerDb = createDb(database.url, 2);
    const ledger = createLedger({ nc, names, db: ledgerDb, logger, registry: createMetricsRegistry('ledger', `l${ledgers.length}`), ...options });
    await ledger.start();
    ledgers.push({ ledger, nc, db: ledgerDb });
    return { ledger, nc, db: ledgerDb };
  }

  beforeEach(async () => {
    const servers = inject('servers');
    names = busNames(uniquePrefix('ledger'));
    database = await createTestDatabase(servers.postgresUrl);
    db = createDb(database.url, 2);
    publisher = await connectBus({ url: servers.natsUrl, name: `${names.prefix}-publisher`, logger });
    await ensureEventsStream(publisher, names);
  });

  afterEach(async () => {
    for (const { ledger, nc, db: ledgerDb } of ledgers.splice(0)) {
      await ledger.stop().catch(() => undefined);
      await nc.close().catch(() => undefined);
      await ledgerDb.destroy();
    }
    await (await publisher.jetstreamManager()).streams.delete(names.eventsStream).catch(() => undefined);
    await publisher.close();
    await db.destroy();
    await database.drop();
  });

  it('ledger: duplicate deliveries and repeated events leave one row each and count each call once', async () => {
    const alice = callerOf(KEY_A, 'alice-key', 'team-red', 'alice');
    const bob = callerOf(KEY_B, 'bob-key', 'team-red', null);
    const events: CallCompleted[] = Array.from({ length: 120 }, (_, i) => completedEvent(i, i % 2 === 0 ? alice : bob, 0.001 * (1 + (i % 7))));
    await startLedger();
    // Every event once, then a third of them again (a redelivery), and one message that repeats an event inside itself.
    await publishEvents(publisher, names, events, 10);
    await publishEvents(publisher, names, events.slice(0, 40), 7);
    await publishEvents(publisher, names, [events[50]!, events[50]!, events[51]!], 3);

    const counts = await eventually(async () => {
      const now = await ledgerCounts(db);
      return now.rows >= events.length ? now : undefined;
    }, 20_000, 'every event in the ledger');
    // The duplicates were published last: once they are handled, nothing more can arrive.
    await eventually(async () => (ledgers[0]!.ledger.held === 0 ? true : undefined));
    const settled = await ledgerCounts(db);
    expect(settled).toEqual(counts);
    expect(settled.rows).toBe(events.length);
    expect(settled.distinctEvents).toBe(events.length);
    expect(settled.totalCost).toBeCloseTo(events.reduce((sum, event) => sum + (event.cost ?? 0), 0), 9);
    const expected = expectedTotals(events);
    const actual = await totals(db);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [scope, want] of expected) {
      expect(actual.get(scope)?.calls, scope).toBe(want.calls);
      expect(actual.get(scope)?.spend, scope).toBeCloseTo(want.spend, 9);
    }
  });

  it('ledger: a ledger that dies after its commit and before its ack loses and doubles nothing', async () => {
    const alice = callerOf(KEY_A, 'alice-key', 'team-blue');
    const events = Array.from({ length: 60 }, (_, i) => completedEvent(i, alice, 0.002));
    await publishEvents(publisher, names, events, 10);
    // The first ledger commits its first batch, then "crashes" before acking it: its connection dies with it.
    let crashed!: () => void;
    const crash = new Promise<void>((resolve) => (crashed = resolve));
    const first = await startLedger({
      ackWaitMs: 1_000,
      maxMessages: 3,
      beforeAck: () => {
        crashed();
        // Never returns: the process is gone before the ack.
        return new Promise<void>(() => undefined);
      },
    });
    await crash;
    const committed = await ledgerCounts(db);
    expect(committed.rows).toBe(30);
    await first.nc.close();
    // Dead: it is never stopped (its loop waits in the ack that never comes).
    ledgers.splice(ledgers.indexOf(first), 1);
    await first.db.destroy();

    // A new replica gets the unacked messages again (after the ack wait) and the rest of the backlog.
    await startLedger({ ackWaitMs: 1_000, maxMessages: 3 });
    await eventually(async () => ((await ledgerCounts(db)).rows === events.length ? true : undefined), 20_000, 'the backlog written');
    await eventually(async () => ((await pendingOf(publisher, names)) === 0 ? true : undefined), 20_000, 'every message acked');
    const counts = await ledgerCounts(db);
    expect(counts.rows).toBe(events.length);
    expect(counts.totalCost).toBeCloseTo(events.length * 0.002, 9);
    expect((await totals(db)).get(`key:${KEY_A}`)).toEqual({ spend: expect.closeTo(events.length * 0.002, 9), calls: events.length });
  });

  it('ledger: a message that is not a call-completed batch is dropped, the others written', async () => {
    const alice = callerOf(KEY_A, 'alice-key', null);
    await startLedger();
    await publisher.jetstream().publish(names.subjects.callCompleted, '{"events": [{"eventId": "x"}]}');
    const events = [completedEvent(1, alice, 0.5), completedEvent(2, alice, 0.25)];
    await publishEvents(publisher, names, events);
    await eventually(async () => ((await ledgerCounts(db)).rows === 2 ? true : undefined));
    await eventually(async () => ((await pendingOf(publisher, names)) === 0 ? true : undefined), 20_000, 'every message acked or terminated');
    expect((await totals(db)).get(`key:${KEY_A}`)).toEqual({ spend: 0.75, calls: 2 });
  });
});

/** Messages the ledger's durable has not acked yet (undelivered or delivered and pending). */
async function pendingOf(nc: NatsConnection, names: BusNames): Promise<number> {
  const info = await (await nc.jetstreamManager()).consumers.info(names.eventsStream, names.consumers.ledgerCalls);
  return info.num_pending + info.num_ack_pending;
}
