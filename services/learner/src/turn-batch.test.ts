import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { TurnEvent } from '@switchyard/contracts';
import { createDb, ensureDatabase, migrateToLatest, sql, type Database, type Kysely } from '@switchyard/db';
import { expireProcessedEvents, expireSessions } from './sessions.js';
import { applyTurnBatch } from './turn-batch.js';

/*
 * applyTurnBatch against a real Postgres: a database of this file's own,
 * emptied before each test. Each event's signals are known by construction
 * (see `turn`): the assertions never ask the signal detector.
 */

let db: Kysely<Database>;
let admin: Kysely<Database>;
let databaseName: string;

beforeAll(async () => {
  const adminUrl = inject('servers').postgresUrl;
  databaseName = `sy_test_learner_${randomBytes(5).toString('hex')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  await ensureDatabase(url.toString());
  db = createDb(url.toString(), 8);
  admin = createDb(adminUrl, 1);
  await migrateToLatest(db);
});

afterAll(async () => {
  await db?.destroy();
  // Not WITH (FORCE): the pool's connections are still closing, and Postgres waits for them.
  await sql`drop database if exists ${sql.id(databaseName)}`.execute(admin);
  await admin?.destroy();
});

beforeEach(async () => {
  await sql`truncate processed_events, bandit_cells, router_sessions, teacher_evidence`.execute(db);
});

/** A turn that says nothing about quality unless `overrides` make it. */
function turn(overrides: Partial<TurnEvent> = {}): TurnEvent {
  return {
    eventId: randomUUID(),
    requestId: randomUUID(),
    router: 'auto',
    sessionKey: 's1',
    requestType: 'code_generation',
    model: 'model-a',
    owner: 'model-a',
    turnIndex: 3,
    userText: 'tell me about topic seven',
    previousUserText: null,
    assistantText: 'an answer about topic six',
    previousAssistantText: null,
    toolCalls: [],
    toolResults: [],
    earlierToolCalls: [],
    status: 200,
    at: new Date().toISOString(),
    teacher: 'anonymous',
    weight: 1,
    evidenceCap: null,
    ...overrides,
  };
}

/** β+1: the user gives up. */
const giveUp = (overrides: Partial<TurnEvent> = {}) => turn({ userText: 'never mind', ...overrides });
/** α+1 (once per session, from turn index 1): the user is satisfied. */
const thanks = (overrides: Partial<TurnEvent> = {}) => turn({ requestType: 'general', userText: 'thanks, that worked', ...overrides });

async function cells(): Promise<Array<{ router: string; request_type: string; model: string; alpha: number; beta: number; samples: number; version: number }>> {
  return db
    .selectFrom('bandit_cells')
    .select(['router', 'request_type', 'model', 'alpha', 'beta', 'samples', 'version'])
    .orderBy('router')
    .orderBy('request_type')
    .orderBy('model')
    .execute();
}

async function processedCount(): Promise<number> {
  const row = await db.selectFrom('processed_events').select(({ fn }) => fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('learner: applyTurnBatch', () => {
  it('learner: satisfaction is credited once per session, within a batch and across batches', async () => {
    await applyTurnBatch(db, [turn({ turnIndex: 1 })]);
    const first = await applyTurnBatch(db, [thanks({ turnIndex: 2 }), thanks({ turnIndex: 3 })]);
    expect(first.applied).toBe(2);
    expect(first.changed).toEqual([
      {
        router: 'auto', requestType: 'code_generation', model: 'model-a', alpha: 1, beta: 0, samples: 1, version: 1,
        explicit: { alpha: 0, beta: 0 }, teachers: [{ teacher: 'anonymous', alpha: 1, beta: 0 }],
      },
    ]);
    expect(await applyTurnBatch(db, [thanks({ turnIndex: 4 })])).toEqual({ applied: 1, changed: [] });
    // Another session earns its own credit; a thanks on the first turn judges no response.
    await applyTurnBatch(db, [turn({ sessionKey: 's2', turnIndex: 0 }), thanks({ sessionKey: 's2', turnIndex: 0 })]);
    await applyTurnBatch(db, [turn({ sessionKey: 's3', turnIndex: 1 }), thanks({ sessionKey: 's3', turnIndex: 2 })]);
    expect(await cells()).toEqual([
      { router: 'auto', request_type: 'code_generation', model: 'model-a', alpha: 2, beta: 0, samples: 2, version: 2 },
    ]);
    const sessions = await db.selectFrom('router_sessions').select(['session_key', 'satisfaction_credited', 'turns']).orderBy('session_key').execute();
    expect(sessions).toEqual([
      { session_key: 's1', satisfaction_credited: true, turns: 4 },
      { session_key: 's2', satisfaction_credited: false, turns: 2 },
      { session_key: 's3', satisfaction_credited: true, turns: 2 },
    ]);
  });

  it("learner: a general turn is credited to the session's first type, attributed to the owner", async () => {
    // The first fresh event of a new session names its type, even in the batch that creates it.
    await applyTurnBatch(db, [
      turn({ sessionKey: 'design', requestType: 'technical_design', owner: 'model-b', model: 'model-b' }),
      giveUp({ sessionKey: 'design', requestType: 'general', owner: 'model-b', model: 'model-a' }),
    ]);
    await applyTurnBatch(db, [
      giveUp({ sessionKey: 'design', requestType: 'general', owner: 'model-b' }),
      // Not general: its own type, whatever the session's first type.
      giveUp({ sessionKey: 'design', requestType: 'writing', owner: 'model-b' }),
      // A session that opens with a general turn stays general.
      giveUp({ sessionKey: 'chat', requestType: 'general', owner: 'model-c' }),
    ]);
    expect(await cells()).toEqual([
      { router: 'auto', request_type: 'general', model: 'model-c', alpha: 0, beta: 1, samples: 1, version: 1 },
      { router: 'auto', request_type: 'technical_design', model: 'model-b', alpha: 0, beta: 2, samples: 2, version: 2 },
      { router: 'auto', request_type: 'writing', model: 'model-b', alpha: 0, beta: 1, samples: 1, version: 1 },
    ]);
    const firstTypes = await db.selectFrom('router_sessions').select(['session_key', 'first_type']).orderBy('session_key').execute();
    expect(firstTypes).toEqual([
      { session_key: 'chat', first_type: 'general' },
      { session_key: 'design', first_type: 'technical_design' },
    ]);
  });

  it('learner: a duplicate event counts once, in the same batch and across batches', async () => {
    const event = giveUp();
    const first = await applyTurnBatch(db, [event, { ...event }, giveUp({ sessionKey: 's2' }), event]);
    expect(first.applied).toBe(2);
    expect(first.changed).toMatchObject([{ beta: 2, samples: 2, version: 1 }]);
    expect(await applyTurnBatch(db, [event])).toEqual({ applied: 0, changed: [] });
    const mixed = await applyTurnBatch(db, [event, giveUp()]);
    expect(mixed.applied).toBe(1);
    expect(mixed.changed).toMatchObject([{ beta: 3, samples: 3, version: 2 }]);
    expect(await processedCount()).toBe(3);
    expect(await cells()).toMatchObject([{ alpha: 0, beta: 3, samples: 3, version: 2 }]);
    const sessions = await db.selectFrom('router_sessions').select(['session_key', 'turns']).orderBy('session_key').execute();
    expect(sessions).toEqual([
      { session_key: 's1', turns: 2 },
      { session_key: 's2', turns: 1 },
    ]);
  });

  it('learner: each signal of the event history earns its delta', async () => {
    const result = await applyTurnBatch(db, [
      // misalignment: the same request reworded (content-word J = 4/6)
      turn({ requestType: 'writing', previousUserText: 'alpha bravo charlie delta echo', userText: 'alpha bravo charlie delta foxtrot' }),
      // stagnation: the assistant said the same thing twice
      turn({ requestType: 'factual_lookup', previousAssistantText: 'the answer is forty two', assistantText: 'The answer is forty two.' }),
      // failure: a tool result of the turn is an error
      turn({ requestType: 'code_understanding', toolResults: [{ isError: true, content: 'file not found' }] }),
      // loop: the same call twice already in the earlier calls
      turn({
        requestType: 'analytical_reasoning',
        earlierToolCalls: ['search({"q":"docs"})', 'lookup({})', 'search({"q":"docs"})'],
        toolCalls: [{ name: 'search', args: '{"q": "docs"}' }],
      }),
      // disengagement and failure at once
      giveUp({ requestType: 'technical_design', userText: 'I give up', toolResults: [{ isError: true, content: 'boom' }] }),
    ]);
    expect(result.applied).toBe(5);
    expect(await cells()).toEqual([
      { router: 'auto', request_type: 'analytical_reasoning', model: 'model-a', alpha: 0, beta: 0.5, samples: 1, version: 1 },
      { router: 'auto', request_type: 'code_understanding', model: 'model-a', alpha: 0, beta: 1, samples: 1, version: 1 },
      { router: 'auto', request_type: 'factual_lookup', model: 'model-a', alpha: 0, beta: 1, samples: 1, version: 1 },
      { router: 'auto', request_type: 'technical_design', model: 'model-a', alpha: 0, beta: 2, samples: 1, version: 1 },
      { router: 'auto', request_type: 'writing', model: 'model-a', alpha: 0, beta: 1, samples: 1, version: 1 },
    ]);
  });

  it('learner: turns whose deltas are zero change no cell', async () => {
    const result = await applyTurnBatch(db, [
      turn(),
      // exhaustion is the provider's limit, not the model's quality
      turn({ status: 429 }),
      turn({ toolResults: [{ isError: false, content: 'rate limit exceeded' }] }),
      // unrelated questions are not a rewording (J = 0), different answers are not stagnation
      turn({ previousUserText: 'how do queues work', previousAssistantText: 'queues hold messages' }),
    ]);
    expect(result).toEqual({ applied: 4, changed: [] });
    expect(await cells()).toEqual([]);
    expect(await db.selectFrom('router_sessions').select(['turns', 'satisfaction_credited']).execute()).toEqual([
      { turns: 4, satisfaction_credited: false },
    ]);
  });

  it('learner: evidence totals are increments in SQL, exact under concurrent batches', async () => {
    // 40 batches at once over the same two cells and ten sessions: every delta lands, none twice, no deadlock.
    const batches = Array.from({ length: 40 }, (_, b) =>
      Array.from({ length: 25 }, (_, i) =>
        i % 5 === 0
          ? turn({ sessionKey: `s${(b + i) % 10}`, requestType: 'writing', toolCalls: [{ name: 'f', args: {} }], earlierToolCalls: ['f({})', 'f({})'] })
          : giveUp({ sessionKey: `s${(b * 7 + i) % 10}`, owner: i % 2 === 0 ? 'model-a' : 'model-b' }),
      ),
    );
    const results = await Promise.all(batches.map((batch) => applyTurnBatch(db, batch)));
    expect(results.reduce((sum, result) => sum + result.applied, 0)).toBe(1000);
    // Per batch of 25: 5 loops (β 0.5 each) on writing/model-a, 10 give-ups on each of model-a and model-b.
    expect(await cells()).toEqual([
      { router: 'auto', request_type: 'code_generation', model: 'model-a', alpha: 0, beta: 400, samples: 400, version: 40 },
      { router: 'auto', request_type: 'code_generation', model: 'model-b', alpha: 0, beta: 400, samples: 400, version: 40 },
      { router: 'auto', request_type: 'writing', model: 'model-a', alpha: 0, beta: 100, samples: 200, version: 40 },
    ]);
    const turns = await db.selectFrom('router_sessions').select(({ fn }) => fn.sum<string>('turns').as('n')).executeTakeFirstOrThrow();
    expect(Number(turns.n)).toBe(1000);
    // The returned evidence is the committed state: the highest version of each cell is the final one.
    const latest = new Map<string, number>();
    for (const cell of results.flatMap((result) => result.changed)) {
      const key = `${cell.requestType}/${cell.model}`;
      latest.set(key, Math.max(latest.get(key) ?? 0, cell.version));
    }
    expect(Object.fromEntries(latest)).toEqual({ 'code_generation/model-a': 40, 'code_generation/model-b': 40, 'writing/model-a': 40 });
  });
});

describe('learner: session expiry', () => {
  it('learner: sessions idle for longer than the TTL are deleted, the others kept', async () => {
    await applyTurnBatch(db, [turn({ sessionKey: 'old' }), turn({ sessionKey: 'recent' }), turn({ sessionKey: 'new' })]);
    await sql`update router_sessions set updated_at = now() - interval '25 hours' where session_key = 'old'`.execute(db);
    await sql`update router_sessions set updated_at = now() - interval '23 hours' where session_key = 'recent'`.execute(db);
    expect(await expireSessions(db, 24 * 3600_000)).toBe(1);
    const left = await db.selectFrom('router_sessions').select('session_key').orderBy('session_key').execute();
    expect(left.map((row) => row.session_key)).toEqual(['new', 'recent']);
  });

  it('learner: event ids older than the stream can redeliver are forgotten, recent ones kept', async () => {
    await db.insertInto('processed_events').values([{ event_id: 'ancient' }, { event_id: 'fresh' }]).execute();
    await sql`update processed_events set processed_at = now() - interval '9 days' where event_id = 'ancient'`.execute(db);
    expect(await expireProcessedEvents(db)).toBe(1);
    const left = await db.selectFrom('processed_events').select('event_id').where('event_id', 'in', ['ancient', 'fresh']).execute();
    expect(left.map((row) => row.event_id)).toEqual(['fresh']);
  });
});

describe('learner: teaching weights and the per-teacher cap', () => {
  const cap = { perTeacher: 3, windowSeconds: 3600 };
  const at = '2026-12-02T10:15:00.000Z';
  const attack = (i: number, overrides: Partial<TurnEvent> = {}) => giveUp({ sessionKey: `attack-${i}`, teacher: 'key_attacker', evidenceCap: cap, at, ...overrides });

  it('learner: one teacher adds at most its cap to a cell per window, within a batch and across batches, and other teachers keep theirs', async () => {
    const first = await applyTurnBatch(db, [attack(1), attack(2)]);
    expect(first.changed).toMatchObject([{ beta: 2, samples: 2 }]);
    // The cap is reached in the middle of this batch: of three asked, one is granted.
    await applyTurnBatch(db, [attack(3), attack(4), attack(5)]);
    expect(await applyTurnBatch(db, Array.from({ length: 20 }, (_, i) => attack(10 + i)))).toMatchObject({ applied: 20, changed: [] });
    await applyTurnBatch(db, [giveUp({ sessionKey: 'alice-1', teacher: 'key_alice', evidenceCap: cap, at })]);
    expect(await cells()).toMatchObject([{ request_type: 'code_generation', model: 'model-a', alpha: 0, beta: 4 }]);
    const teachers = await db.selectFrom('teacher_evidence').select(['teacher', 'mass', 'beta']).orderBy('teacher').execute();
    expect(teachers).toEqual([
      { teacher: 'key_alice', mass: 1, beta: 1 },
      { teacher: 'key_attacker', mass: 3, beta: 3 },
    ]);
  });

  it('learner: the next window grants the teacher its cap again', async () => {
    await applyTurnBatch(db, Array.from({ length: 5 }, (_, i) => attack(i)));
    await applyTurnBatch(db, Array.from({ length: 5 }, (_, i) => attack(100 + i, { at: '2026-12-02T11:00:00.000Z' })));
    expect(await cells()).toMatchObject([{ beta: 6 }]);
  });

  it('learner: a weight scales the deltas and a weight of 0 changes no cell, but the turn still counts for its session', async () => {
    expect(await applyTurnBatch(db, [giveUp({ weight: 0 }), giveUp({ sessionKey: 's2', weight: 0.25 })])).toMatchObject({ applied: 2, changed: [{ beta: 0.25, samples: 1 }] });
    const sessions = await db.selectFrom('router_sessions').select(['session_key', 'turns']).orderBy('session_key').execute();
    expect(sessions).toEqual([
      { session_key: 's1', turns: 1 },
      { session_key: 's2', turns: 1 },
    ]);
  });

  it('learner: a redelivered batch adds nothing to the teacher counters either', async () => {
    const events = [attack(1), attack(2)];
    await applyTurnBatch(db, events);
    await applyTurnBatch(db, events);
    expect(await db.selectFrom('teacher_evidence').select(['mass', 'last_accepted']).execute()).toEqual([{ mass: 2, last_accepted: 2 }]);
  });
});
