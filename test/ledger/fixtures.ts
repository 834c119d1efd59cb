import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { Errors, MASTER_CALLER, type BusNames, type CallCompleted, type Caller } from '@switchyard/contracts';
import { sql, type Database, type Kysely } from '@switchyard/db';

export const KEY_A = 'a'.repeat(64);
export const KEY_B = 'b'.repeat(64);

export function callerOf(keyHash: string, alias: string, teamId: string | null, userId: string | null = null): Caller {
  return { ...MASTER_CALLER, keyHash, keyAlias: alias, teamId, teamAlias: teamId ? `${teamId}-alias` : null, userId };
}

/** A call-completed event as an upstream-caller publishes it, with a cost and a caller. */
export function completedEvent(index: number, caller: Caller, cost: number, overrides: Partial<CallCompleted> = {}): CallCompleted {
  return {
    eventId: randomUUID(),
    requestId: `req-${index}`,
    clientRequestId: null,
    attempt: 1,
    endpoint: 'chat.completions',
    modelGroup: 'gpt-4o-mini',
    deploymentId: 'gpt-4o-mini/abc',
    provider: 'openai',
    providerModel: 'gpt-4o-mini',
    stream: false,
    status: 200,
    outcome: 'ok',
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    providerCalled: true,
    latencyMs: 120,
    finishedAt: new Date().toISOString(),
    reservation: null,
    cost,
    caller,
    tags: { endUser: `end-user-${index % 3}`, metadata: JSON.stringify({ job: index }) },
    ...overrides,
  };
}

/** Publishes events as CallsCompleted messages of `perMessage` events each, as upstream-callers batch them. */
export async function publishEvents(nc: NatsConnection, names: BusNames, events: readonly CallCompleted[], perMessage = 10): Promise<void> {
  const js = nc.jetstream();
  for (let start = 0; start < events.length; start += perMessage) {
    await js.publish(names.subjects.callCompleted, JSON.stringify({ events: events.slice(start, start + perMessage) }));
  }
}

export interface LedgerCounts {
  rows: number;
  distinctEvents: number;
  totalCost: number;
}

export async function ledgerCounts(db: Kysely<Database>): Promise<LedgerCounts> {
  const row = await db
    .selectFrom('spend_logs')
    .select([
      sql<number>`count(*)::int`.as('rows'),
      sql<number>`count(distinct event_id)::int`.as('distinct_events'),
      sql<number>`coalesce(sum(cost), 0)::float8`.as('total_cost'),
    ])
    .executeTakeFirstOrThrow();
  return { rows: row.rows, distinctEvents: row.distinct_events, totalCost: row.total_cost };
}

/** spend_totals by scope. */
export async function totals(db: Kysely<Database>): Promise<Map<string, { spend: number; calls: number }>> {
  const rows = await db.selectFrom('spend_totals').select(['scope', 'spend', 'calls']).execute();
  return new Map(rows.map((row) => [row.scope, { spend: row.spend, calls: row.calls }]));
}

/** What the totals must be for these (unique) events. */
export function expectedTotals(events: readonly CallCompleted[]): Map<string, { spend: number; calls: number }> {
  const out = new Map<string, { spend: number; calls: number }>();
  for (const event of events) {
    const caller = event.caller;
    if (!caller) continue;
    const scopes = [caller.keyHash && `key:${caller.keyHash}`, caller.teamId && `team:${caller.teamId}`, caller.userId && `user:${caller.userId}`].filter(
      (scope): scope is string => typeof scope === 'string',
    );
    for (const scope of scopes) {
      const entry = out.get(scope) ?? { spend: 0, calls: 0 };
      entry.spend += event.cost ?? 0;
      entry.calls += 1;
      out.set(scope, entry);
    }
  }
  return out;
}

/**
 * Stand-in for virtual keys until the keys API is on this branch: a bearer
 * token names a caller of the test's table; the master key is the master
 * caller. What the ingress does with the caller (the envelope, the limiter,
 * the ledger) is the real code.
 */
export function testKeys(masterKey: string, callers: Record<string, Caller>) {
  return {
    authenticate(authorization: string | undefined): string | null {
      const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      if (token === masterKey) return 'master';
      if (token && callers[token]) return token;
      throw Errors.unauthorized();
    },
    callerOf(callerId: string | null): Caller {
      return callerId && callers[callerId] ? callers[callerId] : MASTER_CALLER;
    },
  };
}
