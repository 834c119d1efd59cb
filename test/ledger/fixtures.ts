import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { MASTER_CALLER, type BusNames, type CallCompleted, type Caller } from '@switchyard/contracts';
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

/** A management call with the master key (LiteLLM's /key/*, /team/*). */
export async function admin(url: string, masterKey: string, path: string, body: unknown): Promise<any> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as unknown;
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Waits until every ingress replica knows a new key (its KV watch brought it):
 * a request for a model nobody serves answers 404 once the key authenticates
 * (401 before), and reaches no provider and no budget.
 */
export async function awaitKeyOnEveryReplica(ingressUrls: readonly string[], key: string): Promise<void> {
  for (const url of ingressUrls) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'no-such-model-anywhere', messages: [{ role: 'user', content: 'x' }] }),
      });
      await response.body?.cancel();
      if (response.status === 404) break;
      if (Date.now() > deadline) throw new Error(`${url} still answers ${response.status} for the new key`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
