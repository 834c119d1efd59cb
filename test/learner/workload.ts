import { randomUUID } from 'node:crypto';
import type { KV, NatsConnection } from 'nats';
import { cellKey, type BusNames, type RequestType, type TurnEvent } from '@switchyard/contracts';
import { createDb, sql, type Database, type Kysely } from '@switchyard/db';

/*
 * Turn events whose signal deltas are known by construction, so the tests
 * compute the expected cells themselves, never asking the signal detector:
 *
 * - neutral / exhausted (status 429): no delta;
 * - giveUp ("never mind"): disengagement, β+1;
 * - reworded (J = 1/9 with the previous question): misalignment, β+1;
 * - stagnant (the same answer twice): stagnation, β+1;
 * - toolError: failure, β+1;
 * - looping (the call twice already): loop, β+0.5;
 * - giveUpAfterError: disengagement + failure, β+2;
 * - thanks (general, turn index >= 1): satisfaction, α+1 once per session, to the session's first type;
 * - earlyThanks (general, turn index 0): nothing;
 * - forgetIt (general): disengagement, β+1 to the session's first type.
 */

type Kind =
  | 'neutral'
  | 'exhausted'
  | 'giveUp'
  | 'reworded'
  | 'stagnant'
  | 'toolError'
  | 'looping'
  | 'giveUpAfterError'
  | 'thanks'
  | 'earlyThanks'
  | 'forgetIt';

const KINDS: readonly Kind[] = [
  'neutral', 'exhausted', 'giveUp', 'reworded', 'stagnant', 'toolError', 'looping', 'giveUpAfterError', 'thanks', 'earlyThanks', 'forgetIt',
];
const TYPES: readonly RequestType[] = ['code_generation', 'code_understanding', 'technical_design', 'analytical_reasoning', 'writing', 'factual_lookup'];
const ROUTERS = ['auto', 'auto-cheap'];
const MODELS = ['gpt-small', 'claude/sonnet', 'llama 3.1:70b'];

export interface Cell {
  router: string;
  requestType: RequestType;
  model: string;
  alpha: number;
  beta: number;
  samples: number;
}

export interface Workload {
  /** The first learned turn of every session (no delta): published, and learned, before the rest. */
  openers: TurnEvent[];
  /** Distinct events after the openers. */
  events: TurnEvent[];
  /** Events of `events` to publish a second time. */
  duplicates: TurnEvent[];
  /** The cells once every event was learned once, sorted by key. */
  expected: Cell[];
}

/** A small seeded generator (mulberry32): a failing run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateWorkload(options: { seed: number; sessions: number; events: number; duplicateRate: number }): Workload {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const sessions = Array.from({ length: options.sessions }, (_, i) => ({
    router: pick(ROUTERS),
    sessionKey: `session-${options.seed}-${i}`,
    firstType: pick(TYPES),
    owner: pick(MODELS),
  }));
  const base = (session: (typeof sessions)[number]): TurnEvent => ({
    eventId: randomUUID(),
    requestId: randomUUID(),
    router: session.router,
    sessionKey: session.sessionKey,
    requestType: pick(TYPES),
    model: pick(MODELS),
    owner: session.owner,
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
  });

  const openers = sessions.map((session) => ({ ...base(session), requestType: session.firstType, turnIndex: 2 }));
  const expected = new Map<string, Cell>();
  const credited = new Set<string>();
  const add = (router: string, requestType: RequestType, model: string, alpha: number, beta: number) => {
    const key = cellKey(router, requestType, model);
    const cell = expected.get(key) ?? { router, requestType, model, alpha: 0, beta: 0, samples: 0 };
    cell.alpha += alpha;
    cell.beta += beta;
    cell.samples += 1;
    expected.set(key, cell);
  };

  const events: TurnEvent[] = [];
  for (let i = 0; i < options.events; i++) {
    const session = pick(sessions);
    const kind = pick(KINDS);
    const event = base(session);
    const ownType = (beta: number) => add(session.router, event.requestType, session.owner, 0, beta);
    const firstType = (alpha: number, beta: number) => add(session.router, session.firstType, session.owner, alpha, beta);
    switch (kind) {
      case 'neutral':
        break;
      case 'exhausted':
        event.status = 429;
        event.toolResults = [{ isError: false, content: 'upstream said: too many requests' }];
        break;
      case 'giveUp':
        event.userText = 'never mind';
        event.previousUserText = 'how do queues work';
        ownType(1);
        break;
      case 'reworded':
        event.previousUserText = 'alpha bravo charlie delta echo';
        event.userText = 'alpha bravo charlie delta foxtrot';
        ownType(1);
        break;
      case 'stagnant':
        event.previousAssistantText = 'the answer is forty two';
        event.assistantText = 'The answer is forty two.';
        ownType(1);
        break;
      case 'toolError':
        event.toolCalls = [{ name: 'read_file', args: { path: `/tmp/${i}` } }];
        event.toolResults = [{ isError: true, content: 'file not found' }];
        ownType(1);
        break;
      case 'looping':
        event.earlierToolCalls = ['search({"q":"docs"})', 'open({"id":1})', 'search({"q":"docs"})'];
        event.toolCalls = [{ name: 'search', args: '{"q": "docs"}' }];
        ownType(0.5);
        break;
      case 'giveUpAfterError':
        event.userText = "this isn't working, I give up";
        event.toolResults = [{ isError: true, content: 'segmentation fault' }];
        ownType(2);
        break;
      case 'thanks':
        event.requestType = 'general';
        event.userText = 'thanks, that worked';
        event.turnIndex = 4;
        if (!credited.has(session.sessionKey)) {
          credited.add(session.sessionKey);
          firstType(1, 0);
        }
        break;
      case 'earlyThanks':
        event.requestType = 'general';
        event.userText = 'thank you';
        // On the first turn there is no response to thank for.
        event.turnIndex = 0;
        break;
      case 'forgetIt':
        event.requestType = 'general';
        event.userText = 'forget it';
        firstType(0, 1);
        break;
    }
    events.push(event);
  }
  const duplicates = events.filter(() => random() < options.duplicateRate);
  return { openers, events, duplicates, expected: sortCells([...expected.values()]) };
}

/** Publishes to JetStream `concurrency` at a time, without a message id: JetStream's own dedupe must not hide duplicates. */
export async function publishTurns(nc: NatsConnection, names: BusNames, events: readonly TurnEvent[], concurrency = 500): Promise<void> {
  const js = nc.jetstream();
  for (let start = 0; start < events.length; start += concurrency) {
    await Promise.all(events.slice(start, start + concurrency).map((event) => js.publish(names.subjects.turn, JSON.stringify(event))));
  }
}

/** Fisher-Yates with the given generator. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function sortCells<T extends { router: string; requestType: string; model: string }>(cells: T[]): T[] {
  const key = (cell: T) => JSON.stringify([cell.router, cell.requestType, cell.model]);
  return cells.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * Drops a test database once every pool on it is destroyed. Not WITH (FORCE),
 * as the harness does: a destroyed pool's connections may still be closing,
 * and a forced drop terminates them with an error that surfaces as an
 * uncaught exception; Postgres waits for them instead.
 */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = createDb(adminUrl, 1);
  try {
    await sql`drop database if exists ${sql.id(name)}`.execute(admin);
  } finally {
    await admin.destroy();
  }
}

export async function processedCount(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('processed_events').select(({ fn }) => fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The cells in Postgres, with their versions. */
export async function storedCells(db: Kysely<Database>): Promise<Array<Cell & { version: number }>> {
  const rows = await db.selectFrom('bandit_cells').select(['router', 'request_type', 'model', 'alpha', 'beta', 'samples', 'version']).execute();
  return sortCells(
    rows.map((row) => ({
      router: row.router,
      requestType: row.request_type as RequestType,
      model: row.model,
      alpha: row.alpha,
      beta: row.beta,
      samples: row.samples,
      version: row.version,
    })),
  );
}

/**
 * What the KV bucket holds for each of `cells` (null for a missing key), and
 * how many keys it holds in all (the stream's subject count). Read key by
 * key: iterating `kv.keys()` while awaiting a `get` per key returned only
 * part of the keys (nats.js 2.29, nats-server 2.9), so the keys come from
 * Postgres and the count from the stream.
 */
export async function kvCells(
  nc: NatsConnection,
  kv: KV,
  bucket: string,
  cells: readonly Cell[],
): Promise<{ values: Array<(Cell & { version: number }) | null>; keys: number }> {
  const values = await Promise.all(
    cells.map(async (cell) => {
      const entry = await kv.get(cellKey(cell.router, cell.requestType, cell.model));
      if (entry?.operation !== 'PUT') return null;
      // The cell's evidence as Postgres holds it; its explicit part and top teachers are beside the point here.
      const { explicit: _explicit, teachers: _teachers, ...evidence } = entry.json<Cell & { version: number; explicit?: unknown; teachers?: unknown }>();
      return evidence;
    }),
  );
  const info = await (await nc.jetstreamManager()).streams.info(`KV_${bucket}`);
  return { values, keys: info.state.num_subjects ?? 0 };
}

/** The expected cells without versions, to compare with stored ones. */
export function withoutVersion<T extends Cell>(cells: T[]): Cell[] {
  return cells.map(({ router, requestType, model, alpha, beta, samples }) => ({ router, requestType, model, alpha, beta, samples }));
}
