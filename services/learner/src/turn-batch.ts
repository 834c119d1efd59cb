import { claimFreshEvents } from './event-ids.js';
import { withTeachers } from './cell-teachers.js';
import { grantTeacherEvidence, teacherGroupKey, windowStartOf, type TeacherDelta } from './teacher-evidence.js';
import { CellEvidence, RequestType, type TurnEvent } from '@switchyard/contracts';
import { sql, type Database, type Kysely, type Transaction } from '@switchyard/db';
import { cellTypeFor, deltasFor, detectSignals, SIGNAL_DEFAULTS, type SessionSignalState, type TurnInput } from '@switchyard/routing';

export interface TurnBatchResult {
  /** Events applied by this call: not seen before, neither in Postgres nor earlier in the batch. */
  applied: number;
  /** Every cell this batch changed, as committed (evidence totals and version after the increments). */
  changed: CellEvidence[];
}

/** The row of a session, locked for the transaction, and what this batch does to it. */
interface LockedSession {
  router: string;
  sessionKey: string;
  firstType: RequestType | null;
  credited: boolean;
  turns: number;
}

/** Evidence without a cap is still recorded per teacher, by day: what the state endpoint shows. */
const UNCAPPED_WINDOW_SECONDS = 86_400;

export interface CellDelta {
  router: string;
  requestType: RequestType;
  model: string;
  alpha: number;
  beta: number;
  samples: number;
  /** The part of alpha and beta from explicit scores. */
  explicitAlpha?: number;
  explicitBeta?: number;
}

/**
 * Applies a batch of turn events exactly once, in one transaction:
 *
 * 1. the event ids go into `processed_events`; only the ids that insert are
 *    fresh (a redelivered event, or a duplicate inside the batch, is skipped);
 * 2. the fresh events' sessions are created if missing and locked;
 * 3. each fresh event's signals are read from the event itself (it carries the
 *    texts it is compared with) and the two session flags in Postgres;
 * 4. each turn's deltas are weighted (the ingress's teaching policy), and
 *    each teacher's share of a cell per window is capped in SQL
 *    (teacher-evidence.ts);
 * 5. the granted deltas are added to the cells by one upsert that adds in SQL;
 * 6. the sessions' flags and turn counts are updated in SQL.
 *
 * Every lock is taken in one global order (event ids, then sessions, then
 * teacher counters, then cells, each sorted), so concurrent learners never deadlock. A crash before
 * the commit leaves nothing; after it, redelivery finds the ids and adds
 * nothing.
 */
export async function applyTurnBatch(db: Kysely<Database>, events: readonly TurnEvent[]): Promise<TurnBatchResult> {
  if (events.length === 0) return { applied: 0, changed: [] };
  return db.transaction().execute(async (trx) => {
    const fresh = await claimFreshEvents(trx, events);
    if (fresh.length === 0) return { applied: 0, changed: [] };

    const sessions = await lockSessions(trx, fresh);
    const judgedTurns: TeacherDelta[] = [];
    for (const event of fresh) {
      const session = sessions.get(sessionId(event.router, event.sessionKey));
      if (session === undefined) throw new Error(`session ${event.router}/${event.sessionKey} is not locked`);
      session.turns += 1;
      const judged = judgeTurn(event, session);
      if (judged === null || event.weight === 0) continue;
      // The cap window is fixed by the event's own time; without a cap the evidence is still recorded by teacher.
      const windowSeconds = event.evidenceCap?.windowSeconds ?? UNCAPPED_WINDOW_SECONDS;
      judgedTurns.push({
        router: event.router,
        requestType: judged.requestType,
        model: event.owner,
        teacher: event.teacher,
        windowStart: windowStartOf(event.at, windowSeconds),
        cap: event.evidenceCap?.perTeacher ?? null,
        alpha: judged.alpha * event.weight,
        beta: judged.beta * event.weight,
      });
    }
    const granted = await grantTeacherEvidence(trx, judgedTurns);
    const cells = new Map<string, CellDelta>();
    for (const turn of judgedTurns) {
      const share = granted.get(teacherGroupKey(turn)) ?? 0;
      if (share <= 0) continue;
      const key = cellId(turn.router, turn.requestType, turn.model);
      const cell = cells.get(key) ?? { router: turn.router, requestType: turn.requestType as RequestType, model: turn.model, alpha: 0, beta: 0, samples: 0 };
      cell.alpha += turn.alpha * share;
      cell.beta += turn.beta * share;
      cell.samples += 1;
      cells.set(key, cell);
    }
    const changed = await addToCells(trx, [...cells.values()]);
    await updateSessions(trx, [...sessions.values()]);
    return { applied: fresh.length, changed };
  });
}

/**
 * The deltas of one turn and the cell type they go to; null when the turn
 * says nothing about quality. Marks the session credited when the turn earns
 * its one satisfaction, so a later turn of the same batch does not earn it again.
 */
function judgeTurn(event: TurnEvent, session: LockedSession): { requestType: RequestType; alpha: number; beta: number } | null {
  const state: SessionSignalState = {
    turnCount: event.turnIndex,
    previousUserText: storedText(event.previousUserText),
    previousAssistantText: storedText(event.previousAssistantText),
    toolCallHistory: event.earlierToolCalls,
    satisfactionCredited: session.credited,
    firstRequestType: session.firstType,
  };
  const turn: TurnInput = {
    turnIndex: event.turnIndex,
    requestType: event.requestType,
    userText: event.userText,
    assistantText: event.assistantText,
    toolCalls: event.toolCalls,
    toolResults: event.toolResults,
    status: event.status,
  };
  const { signals } = detectSignals(turn, state);
  if (signals.satisfaction) session.credited = true;
  const { alpha, beta } = deltasFor(signals);
  if (alpha === 0 && beta === 0) return null;
  return { requestType: cellTypeFor(event.requestType, state), alpha, beta };
}

/**
 * A previous text as `detectSignals` would have stored it after its own
 * turn: capped like the current text it is compared with, null when blank.
 */
function storedText(text: string | null): string | null {
  if (text === null || text.trim() === '') return null;
  return text.slice(0, SIGNAL_DEFAULTS.comparedTextCap);
}

/**
 * Creates the fresh events' missing sessions (first type: that of the
 * session's first fresh event in the batch) and locks every one of them,
 * both in (router, session key) order.
 */
async function lockSessions(trx: Transaction<Database>, fresh: readonly TurnEvent[]): Promise<Map<string, LockedSession>> {
  const firstTypes = new Map<string, { router: string; session_key: string; first_type: RequestType }>();
  for (const event of fresh) {
    const id = sessionId(event.router, event.sessionKey);
    if (!firstTypes.has(id)) firstTypes.set(id, { router: event.router, session_key: event.sessionKey, first_type: event.requestType });
  }
  const keys = [...firstTypes.values()].sort((a, b) => compare(a.router, b.router) || compare(a.session_key, b.session_key));
  await trx
    .insertInto('router_sessions')
    .values(keys.map((key) => ({ ...key, turns: 0 })))
    .onConflict((oc) => oc.columns(['router', 'session_key']).doNothing())
    .execute();
  const rows = await trx
    .selectFrom('router_sessions')
    .select(['router', 'session_key', 'first_type', 'satisfaction_credited'])
    .where(({ eb, refTuple, tuple }) =>
      eb(
        refTuple('router', 'session_key'),
        'in',
        keys.map((key) => tuple(key.router, key.session_key)),
      ),
    )
    .orderBy('router')
    .orderBy('session_key')
    .forUpdate()
    .execute();
  if (rows.length !== keys.length) {
    // Only an expiry sweep between the insert and the lock can do this: the batch is retried.
    throw new Error(`locked ${rows.length} of ${keys.length} sessions: one expired meanwhile`);
  }
  const sessions = new Map<string, LockedSession>();
  for (const row of rows) {
    const firstType = RequestType.safeParse(row.first_type);
    sessions.set(sessionId(row.router, row.session_key), {
      router: row.router,
      sessionKey: row.session_key,
      firstType: firstType.success ? firstType.data : null,
      credited: row.satisfaction_credited,
      turns: 0,
    });
  }
  return sessions;
}

/** One upsert, rows in key order, that adds the deltas in SQL and returns the cells as committed. */
export async function addToCells(trx: Transaction<Database>, deltas: CellDelta[]): Promise<CellEvidence[]> {
  if (deltas.length === 0) return [];
  const rows = deltas
    .sort((a, b) => compare(a.router, b.router) || compare(a.requestType, b.requestType) || compare(a.model, b.model))
    .map((delta) => ({
      router: delta.router,
      request_type: delta.requestType,
      model: delta.model,
      alpha: delta.alpha,
      beta: delta.beta,
      samples: delta.samples,
      version: 1,
      explicit_alpha: delta.explicitAlpha ?? 0,
      explicit_beta: delta.explicitBeta ?? 0,
    }));
  const updated = await trx
    .insertInto('bandit_cells')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['router', 'request_type', 'model']).doUpdateSet({
        alpha: sql`bandit_cells.alpha + excluded.alpha`,
        beta: sql`bandit_cells.beta + excluded.beta`,
        samples: sql`bandit_cells.samples + excluded.samples`,
        explicit_alpha: sql`bandit_cells.explicit_alpha + excluded.explicit_alpha`,
        explicit_beta: sql`bandit_cells.explicit_beta + excluded.explicit_beta`,
        version: sql`bandit_cells.version + 1`,
        updated_at: sql`now()`,
      }),
    )
    .returning(['router', 'request_type', 'model', 'alpha', 'beta', 'samples', 'version', 'explicit_alpha', 'explicit_beta'])
    .execute();
  return withTeachers(trx, updated.map(cellEvidenceOf));
}

/** Adds each session's turns and sets its credit flag, in SQL (the rows are locked). */
async function updateSessions(trx: Transaction<Database>, sessions: LockedSession[]): Promise<void> {
  const values = sessions.map(
    (session) => sql`(${session.router}::text, ${session.sessionKey}::text, ${session.credited}::boolean, ${session.turns}::bigint)`,
  );
  await sql`
    update router_sessions as s
       set satisfaction_credited = s.satisfaction_credited or v.credited,
           turns = s.turns + v.turns,
           updated_at = now()
      from (values ${sql.join(values)}) as v(router, session_key, credited, turns)
     where s.router = v.router and s.session_key = v.session_key`.execute(trx);
}

/** A `bandit_cells` row as the evidence the learner publishes. */
export function cellEvidenceOf(row: {
  router: string;
  request_type: string;
  model: string;
  alpha: number;
  beta: number;
  samples: number;
  version: number;
  explicit_alpha?: number;
  explicit_beta?: number;
}): CellEvidence {
  return CellEvidence.parse({
    explicit: { alpha: row.explicit_alpha ?? 0, beta: row.explicit_beta ?? 0 },
    router: row.router,
    requestType: row.request_type,
    model: row.model,
    alpha: row.alpha,
    beta: row.beta,
    samples: Number(row.samples),
    version: Number(row.version),
  });
}

function sessionId(router: string, sessionKey: string): string {
  return JSON.stringify([router, sessionKey]);
}

function cellId(router: string, requestType: string, model: string): string {
  return JSON.stringify([router, requestType, model]);
}

/** Code-unit order: the same in every replica, which is all a lock order needs. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
