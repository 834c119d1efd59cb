import type { ScopeSpend, SpendDaySummary, SpendLogRow, SpendLogsQuery, SpendReportQuery } from '@switchyard/contracts';
import { sql, type Database, type Kysely, type Selectable } from '@switchyard/db';

type SpendLog = Selectable<Database['spend_logs']>;

const DAY_MS = 86_400_000;

/** The UTC instant a day starts, and the start of the day after `end`: both dates count whole (LiteLLM's end date is a midnight; Switchyard's includes that day). */
export function dayRange(start: string, end: string): { from: Date; until: Date } {
  return { from: new Date(`${start}T00:00:00.000Z`), until: new Date(new Date(`${end}T00:00:00.000Z`).getTime() + DAY_MS) };
}

function daysBetween(from: Date, until: Date): string[] {
  const days: string[] = [];
  for (let t = from.getTime(); t < until.getTime() && days.length < 3660; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** A ledger row in LiteLLM's LiteLLM_SpendLogs shape. */
export function spendLogRowOf(row: SpendLog): SpendLogRow {
  const metadata: Record<string, unknown> = {
    user_api_key_alias: row.key_alias,
    user_api_key_team_alias: row.team_alias,
    user_api_key_user_id: row.user_id,
    requester_metadata: row.metadata ?? null,
  };
  if (row.client_request_id) metadata.client_request_id = row.client_request_id;
  return {
    request_id: row.request_id,
    call_type: row.endpoint,
    api_key: row.key_hash ?? '',
    spend: row.cost ?? 0,
    total_tokens: row.total_tokens,
    prompt_tokens: row.prompt_tokens,
    completion_tokens: row.completion_tokens,
    startTime: row.started_at.toISOString(),
    endTime: row.ended_at.toISOString(),
    model: row.provider_model,
    model_id: row.deployment_id,
    model_group: row.model_group,
    custom_llm_provider: row.provider,
    user: row.user_id ?? '',
    team_id: row.team_id,
    end_user: row.end_user ?? '',
    metadata,
    request_tags: [],
    status: row.outcome === 'ok' ? 'success' : 'failure',
    attempt: row.attempt,
    outcome: row.outcome,
    http_status: row.status,
    cached_tokens: row.cached_tokens,
    cost_known: row.cost !== null,
  };
}

/** `GET /spend/logs`: the rows (newest first), or with both dates and `summarize`, LiteLLM's totals per day. */
export async function spendLogs(db: Kysely<Database>, query: SpendLogsQuery): Promise<SpendLogRow[] | SpendDaySummary[]> {
  let select = db.selectFrom('spend_logs');
  if (query.apiKeyHash) select = select.where('key_hash', '=', query.apiKeyHash);
  if (query.requestId) select = select.where('request_id', '=', query.requestId);
  if (query.userId) select = select.where('user_id', '=', query.userId);
  const range = query.startDate && query.endDate ? dayRange(query.startDate, query.endDate) : null;
  if (range) select = select.where('started_at', '>=', range.from).where('started_at', '<', range.until);
  if (!range || !query.summarize) {
    const rows = await select.selectAll().orderBy('started_at', 'desc').orderBy('event_id').limit(query.limit).execute();
    return rows.map(spendLogRowOf);
  }
  const groups = await select
    .select([
      sql<string>`to_char(date_trunc('day', started_at at time zone 'UTC'), 'YYYY-MM-DD')`.as('day'),
      'key_hash',
      'user_id',
      'model_group',
      sql<number>`coalesce(sum(cost), 0)::float8`.as('spend'),
    ])
    .groupBy([sql`1`, 'key_hash', 'user_id', 'model_group'])
    .execute();
  const byDay = new Map<string, SpendDaySummary>();
  for (const day of daysBetween(range.from, range.until)) byDay.set(day, { startTime: day, spend: 0, users: {}, models: {} });
  for (const group of groups) {
    const summary = byDay.get(group.day);
    if (!summary) continue;
    summary.spend += group.spend;
    const user = group.user_id ?? '';
    summary.users[user] = (summary.users[user] ?? 0) + group.spend;
    summary.models[group.model_group] = (summary.models[group.model_group] ?? 0) + group.spend;
    // LiteLLM puts each key's spend of the day beside the totals, under the key (hash) itself.
    const key = group.key_hash ?? '';
    summary[key] = ((summary[key] as number | undefined) ?? 0) + group.spend;
  }
  return [...byDay.values()];
}

interface ReportRow {
  day: string;
  name: string | null;
  key_hash: string | null;
  model: string;
  spend: number;
  total_tokens: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/**
 * `GET /global/spend/report` in LiteLLM's shapes: by day and team (`teams`),
 * by day and customer (the request's `user`, `customers`), by key (with its
 * models), and Switchyard's by day and model group (`models`).
 */
export async function spendReport(db: Kysely<Database>, query: SpendReportQuery): Promise<unknown[]> {
  const { from, until } = dayRange(query.startDate, query.endDate);
  const nameColumn = query.groupBy === 'team' ? sql`coalesce(team_alias, team_id)` : query.groupBy === 'customer' ? sql`end_user` : sql`model_group`;
  let select = db
    .selectFrom('spend_logs')
    .where('started_at', '>=', from)
    .where('started_at', '<', until)
    .select([
      sql<string>`to_char(date_trunc('day', started_at at time zone 'UTC'), 'YYYY-MM-DD')`.as('day'),
      sql<string | null>`${nameColumn}`.as('name'),
      'key_hash',
      'model_group as model',
      sql<number>`coalesce(sum(cost), 0)::float8`.as('spend'),
      sql<number>`sum(total_tokens)::float8`.as('total_tokens'),
      sql<number>`sum(prompt_tokens)::float8`.as('prompt_tokens'),
      sql<number>`sum(completion_tokens)::float8`.as('completion_tokens'),
    ])
    .groupBy([sql`1`, sql`2`, 'key_hash', 'model_group']);
  if (query.apiKeyHash) select = select.where('key_hash', '=', query.apiKeyHash);
  if (query.userId) select = select.where('user_id', '=', query.userId);
  const rows: ReportRow[] = await select.orderBy(sql`1`).execute();
  if (query.groupBy === 'api_key' || query.apiKeyHash || query.userId) return byKey(rows);
  const member = query.groupBy === 'team' ? 'teams' : query.groupBy === 'customer' ? 'customers' : 'models';
  const nameField = query.groupBy === 'team' ? 'team_name' : query.groupBy === 'customer' ? 'customer' : 'model';
  const unnamed = query.groupBy === 'team' ? 'Unassigned Team' : null;
  const days = new Map<string, Map<string, { name: string | null; total: number; metadata: Array<Record<string, unknown>> }>>();
  for (const row of rows) {
    const groups = days.get(row.day) ?? new Map();
    days.set(row.day, groups);
    const name = row.name ?? unnamed;
    const group = groups.get(String(name)) ?? { name, total: 0, metadata: [] };
    groups.set(String(name), group);
    group.total += row.spend;
    const detail: Record<string, unknown> = { api_key: row.key_hash ?? '', spend: row.spend, total_tokens: row.total_tokens };
    if (query.groupBy !== 'model') detail.model = row.model;
    group.metadata.push(detail);
  }
  return [...days.entries()].map(([day, groups]) => ({
    group_by_day: day,
    [member]: [...groups.values()].map((group) => ({ [nameField]: group.name, total_spend: group.total, metadata: group.metadata })),
  }));
}

/** LiteLLM's `group_by=api_key` shape: each key's totals and its models, dearest first. */
function byKey(rows: ReportRow[]): unknown[] {
  const keys = new Map<string, { total: number; input: number; output: number; models: Map<string, { cost: number; input: number; output: number }> }>();
  for (const row of rows) {
    const id = row.key_hash ?? '';
    const key = keys.get(id) ?? { total: 0, input: 0, output: 0, models: new Map() };
    keys.set(id, key);
    key.total += row.spend;
    key.input += row.prompt_tokens;
    key.output += row.completion_tokens;
    const model = key.models.get(row.model) ?? { cost: 0, input: 0, output: 0 };
    key.models.set(row.model, model);
    model.cost += row.spend;
    model.input += row.prompt_tokens;
    model.output += row.completion_tokens;
  }
  return [...keys.entries()]
    .sort(([, a], [, b]) => b.total - a.total)
    .map(([apiKey, key]) => ({
      api_key: apiKey,
      total_cost: key.total,
      total_input_tokens: key.input,
      total_output_tokens: key.output,
      model_details: [...key.models.entries()].map(([model, m]) => ({
        model,
        total_cost: m.cost,
        total_input_tokens: m.input,
        total_output_tokens: m.output,
      })),
    }));
}

/** `ledger.spend.of`: the recorded spend of each scope asked about (0 for one with no call yet), all time or since `sinceMs`. */
export async function spendOf(db: Kysely<Database>, scopes: readonly string[], sinceMs: number | null = null): Promise<ScopeSpend[]> {
  if (sinceMs !== null) return Promise.all(scopes.map((scope) => spendSince(db, scope, new Date(sinceMs))));
  const rows = await db.selectFrom('spend_totals').selectAll().where('scope', 'in', [...scopes]).execute();
  const found = new Map(rows.map((row) => [row.scope, row]));
  return scopes.map((scope) => {
    const row = found.get(scope);
    return { scope, spend: row?.spend ?? 0, calls: row?.calls ?? 0, lastCallAt: row?.last_call_at?.toISOString() ?? null };
  });
}

const SCOPE_COLUMN = { key: 'key_hash', team: 'team_id', user: 'user_id' } as const;

/** A scope's spend since a moment, from the rows (an index on the scope's column and started_at serves it). */
async function spendSince(db: Kysely<Database>, scope: string, since: Date): Promise<ScopeSpend> {
  const kind = scope.slice(0, scope.indexOf(':')) as keyof typeof SCOPE_COLUMN;
  const row = await db
    .selectFrom('spend_logs')
    .select([
      sql<number>`coalesce(sum(cost), 0)::float8`.as('spend'),
      sql<number>`count(*)::int`.as('calls'),
      sql<Date | null>`max(ended_at)`.as('last'),
    ])
    .where(SCOPE_COLUMN[kind], '=', scope.slice(kind.length + 1))
    .where('started_at', '>=', since)
    .executeTakeFirstOrThrow();
  return { scope, spend: row.spend, calls: row.calls, lastCallAt: row.last ? new Date(row.last).toISOString() : null };
}
