import type { CallCompleted } from '@switchyard/contracts';
import { sql, type Database, type Insertable, type Kysely, type Transaction } from '@switchyard/db';

type SpendRow = Insertable<Database['spend_logs']>;

/** Rows per INSERT: 29 columns each stays far below Postgres's 65,535 parameters a statement. */
const ROWS_PER_STATEMENT = 500;

/** The key, team and user scopes a call's spend is added to (the names the limiter's budgets use). */
export function spendScopesOf(event: CallCompleted): string[] {
  const caller = event.caller;
  if (!caller) return [];
  const scopes: string[] = [];
  if (caller.keyHash) scopes.push(`key:${caller.keyHash}`);
  if (caller.teamId) scopes.push(`team:${caller.teamId}`);
  if (caller.userId) scopes.push(`user:${caller.userId}`);
  return scopes;
}

function cachedTokensOf(event: CallCompleted): number {
  const details = event.usage?.prompt_tokens_details as { cached_tokens?: unknown } | undefined;
  const cached = typeof details?.cached_tokens === 'number' ? details.cached_tokens : 0;
  return Number.isSafeInteger(cached) && cached > 0 ? cached : 0;
}

/** The metadata column holds JSON: text that does not parse (it was bounded, never validated, at the ingress) is kept as a string. */
function metadataJson(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}

export function spendRowOf(event: CallCompleted): SpendRow {
  const ended = new Date(event.finishedAt);
  const endedAt = Number.isNaN(ended.getTime()) ? new Date() : ended;
  const caller = event.caller;
  return {
    event_id: event.eventId,
    request_id: event.requestId,
    client_request_id: event.clientRequestId ?? null,
    attempt: event.attempt,
    endpoint: event.endpoint,
    key_hash: caller?.keyHash ?? null,
    key_alias: caller?.keyAlias ?? null,
    team_id: caller?.teamId ?? null,
    team_alias: caller?.teamAlias ?? null,
    user_id: caller?.userId ?? null,
    end_user: event.tags?.endUser ?? null,
    metadata: metadataJson(event.tags?.metadata),
    model_group: event.modelGroup,
    deployment_id: event.deploymentId,
    provider: event.provider,
    provider_model: event.providerModel,
    stream: event.stream,
    status: event.status,
    outcome: event.outcome,
    provider_called: event.providerCalled ?? true,
    prompt_tokens: event.usage?.prompt_tokens ?? 0,
    completion_tokens: event.usage?.completion_tokens ?? 0,
    total_tokens: event.usage?.total_tokens ?? 0,
    cached_tokens: cachedTokensOf(event),
    cost: event.cost ?? null,
    started_at: new Date(endedAt.getTime() - Math.max(0, event.latencyMs)),
    ended_at: endedAt,
  };
}

interface ScopeDelta {
  spend: number;
  calls: number;
  lastCallAt: Date;
}

/**
 * Writes a batch of call-completed events exactly once: each event's row is
 * inserted keyed by its event id (a redelivered one conflicts and is skipped),
 * and only the rows that went in add their cost to the key's, team's and
 * user's totals, in SQL (`spend = spend_totals.spend + excluded.spend`). One
 * transaction: a crash leaves all of the batch or none of it. Returns the
 * events written for the first time.
 */
export async function applySpendBatch(db: Kysely<Database>, events: readonly CallCompleted[]): Promise<CallCompleted[]> {
  if (events.length === 0) return [];
  const byId = new Map<string, CallCompleted>();
  for (const event of events) if (!byId.has(event.eventId)) byId.set(event.eventId, event);
  // Sorted ids: concurrent ledgers lock the same rows in the same order and never deadlock.
  const ordered = [...byId.values()].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  return db.transaction().execute(async (trx) => {
    const fresh = await insertRows(trx, ordered);
    await addToTotals(trx, fresh);
    return fresh;
  });
}

async function insertRows(trx: Transaction<Database>, events: CallCompleted[]): Promise<CallCompleted[]> {
  const inserted = new Set<string>();
  for (let start = 0; start < events.length; start += ROWS_PER_STATEMENT) {
    const chunk = events.slice(start, start + ROWS_PER_STATEMENT);
    const rows = await trx
      .insertInto('spend_logs')
      .values(chunk.map(spendRowOf))
      .onConflict((oc) => oc.column('event_id').doNothing())
      .returning('event_id')
      .execute();
    for (const row of rows) inserted.add(row.event_id);
  }
  return events.filter((event) => inserted.has(event.eventId));
}

async function addToTotals(trx: Transaction<Database>, fresh: CallCompleted[]): Promise<void> {
  const deltas = new Map<string, ScopeDelta>();
  for (const event of fresh) {
    const at = new Date(event.finishedAt);
    for (const scope of spendScopesOf(event)) {
      const delta = deltas.get(scope) ?? { spend: 0, calls: 0, lastCallAt: at };
      delta.spend += event.cost ?? 0;
      delta.calls += 1;
      if (at > delta.lastCallAt) delta.lastCallAt = at;
      deltas.set(scope, delta);
    }
  }
  if (deltas.size === 0) return;
  const rows = [...deltas.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([scope, delta]) => ({ scope, spend: delta.spend, calls: delta.calls, last_call_at: delta.lastCallAt }));
  await trx
    .insertInto('spend_totals')
    .values(rows)
    .onConflict((oc) =>
      oc.column('scope').doUpdateSet({
        spend: sql`spend_totals.spend + excluded.spend`,
        calls: sql`spend_totals.calls + excluded.calls`,
        last_call_at: sql`greatest(spend_totals.last_call_at, excluded.last_call_at)`,
        updated_at: sql`now()`,
      }),
    )
    .execute();
}
