import { z } from 'zod';

/**
 * The spend ledger's request/reply API (ingress -> ledger over NATS): the
 * admin routes forward to it, and the key and team routes read a scope's
 * spend from it. Dates are UTC days (`YYYY-MM-DD`), as LiteLLM takes them.
 */

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

/** `GET /spend/logs` (LiteLLM's parameters; `api_key` is a key hash here: the ingress hashes an `sk-` key first). */
export const SpendLogsQuery = z.object({
  apiKeyHash: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  userId: z.string().max(160).nullable(),
  requestId: z.string().max(128).nullable(),
  startDate: Day.nullable(),
  endDate: Day.nullable(),
  /** With both dates: totals per day (LiteLLM's default), else the rows. */
  summarize: z.boolean(),
  limit: z.number().int().min(1).max(1000),
});
export type SpendLogsQuery = z.infer<typeof SpendLogsQuery>;

/** One call in LiteLLM's LiteLLM_SpendLogs row shape, with Switchyard's own fields after. */
export const SpendLogRow = z.object({
  request_id: z.string(),
  call_type: z.string(),
  api_key: z.string(),
  spend: z.number(),
  total_tokens: z.number(),
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  startTime: z.string(),
  endTime: z.string(),
  model: z.string(),
  model_id: z.string(),
  model_group: z.string(),
  custom_llm_provider: z.string(),
  user: z.string(),
  team_id: z.string().nullable(),
  end_user: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  request_tags: z.array(z.string()),
  status: z.enum(['success', 'failure']),
  attempt: z.number(),
  outcome: z.string(),
  http_status: z.number(),
  cached_tokens: z.number(),
  /** False when no price was known for the call: its spend is 0 and says nothing. */
  cost_known: z.boolean(),
});
export type SpendLogRow = z.infer<typeof SpendLogRow>;

/** LiteLLM's summary of a day (`summarize=true`): total, and by key hash, user and model. */
export const SpendDaySummary = z.looseObject({
  startTime: Day,
  spend: z.number(),
  users: z.record(z.string(), z.number()),
  models: z.record(z.string(), z.number()),
});
export type SpendDaySummary = z.infer<typeof SpendDaySummary>;

export const SpendReportGroup = z.enum(['team', 'customer', 'api_key', 'model']);
export type SpendReportGroup = z.infer<typeof SpendReportGroup>;

/** `GET /global/spend/report`: LiteLLM's group_by (team, customer, api_key) and Switchyard's `model`. */
export const SpendReportQuery = z.object({
  startDate: Day,
  endDate: Day,
  groupBy: SpendReportGroup,
  apiKeyHash: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  userId: z.string().max(160).nullable(),
});
export type SpendReportQuery = z.infer<typeof SpendReportQuery>;

/**
 * `ledger.spend.of`: what the ledger has recorded for key, team or user
 * scopes (`key:<hash>`, `team:<id>`, `user:<id>`): all time, or since
 * `sinceMs` (epoch ms; a budget period's start, as LiteLLM's /key/info shows
 * the spend of the current budget period).
 */
export const SpendOfRequest = z.object({
  scopes: z.array(z.string().regex(/^(key|team|user):.{1,160}$/)).min(1).max(100),
  sinceMs: z.number().int().min(0).nullish(),
});
export type SpendOfRequest = z.infer<typeof SpendOfRequest>;

export const ScopeSpend = z.object({ scope: z.string(), spend: z.number(), calls: z.number(), lastCallAt: z.string().nullable() });
export type ScopeSpend = z.infer<typeof ScopeSpend>;

/** The ledger's answer on every spend subject: the result, or why it has none (Postgres away). */
export const LedgerReply = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), status: z.number().int(), message: z.string() }),
]);
export type LedgerReply = z.infer<typeof LedgerReply>;
