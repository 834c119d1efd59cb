import type { KeyRecord, TeamRecord } from '@switchyard/contracts';
import type { Database, Selectable } from '@switchyard/db';
import { durationMs } from '@switchyard/virtual-keys';


export type KeyRow = Selectable<Database['virtual_keys']>;
export type TeamRow = Selectable<Database['key_teams']>;

/** When the current budget period ends (LiteLLM's budget_reset_at): periods start at the anchor and follow each other. */
function budgetResetAt(anchor: Date, budgetDuration: string | null, now = Date.now()): string | null {
  const period = budgetDuration === null ? null : durationMs(budgetDuration);
  if (period === null) return null;
  const elapsed = Math.max(0, now - anchor.getTime());
  return new Date(anchor.getTime() + (Math.floor(elapsed / period) + 1) * period).toISOString();
}

/**
 * A key as LiteLLM's LiteLLM_VerificationToken serialises it. `token` is the
 * hash (LiteLLM's own name for it); spend is the ledger's (0 until it fills it).
 */
export function keyObjectOf(row: KeyRow, withToken: boolean): Record<string, unknown> {
  return {
    ...(withToken ? { token: row.key_hash } : {}),
    key_name: row.key_name,
    key_alias: row.key_alias,
    spend: 0,
    max_budget: row.max_budget,
    expires: row.expires_at?.toISOString() ?? null,
    models: row.models,
    aliases: {},
    config: {},
    user_id: row.user_id,
    team_id: row.team_id,
    permissions: {},
    max_parallel_requests: row.max_parallel_requests,
    metadata: row.metadata,
    blocked: row.blocked,
    tpm_limit: row.tpm_limit,
    rpm_limit: row.rpm_limit,
    budget_duration: row.budget_duration,
    budget_reset_at: budgetResetAt(row.created_at, row.budget_duration),
    allowed_cache_controls: [],
    model_spend: {},
    model_max_budget: {},
    soft_budget_cooldown: false,
    litellm_budget_table: null,
    org_id: null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** A team as LiteLLM's LiteLLM_TeamTable serialises it. */
export function teamObjectOf(row: TeamRow): Record<string, unknown> {
  return {
    team_id: row.team_id,
    team_alias: row.team_alias,
    organization_id: null,
    admins: [],
    members: [],
    members_with_roles: [],
    metadata: row.metadata,
    tpm_limit: row.tpm_limit,
    rpm_limit: row.rpm_limit,
    max_budget: row.max_budget,
    budget_duration: row.budget_duration,
    budget_reset_at: budgetResetAt(row.created_at, row.budget_duration),
    models: row.models,
    blocked: row.blocked,
    spend: 0,
    max_parallel_requests: row.max_parallel_requests,
    model_id: null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** What every ingress replica holds of a key (hash only). */
export function keyRecordOf(row: KeyRow): KeyRecord {
  return {
    keyHash: row.key_hash,
    keyName: row.key_name,
    keyAlias: row.key_alias,
    teamId: row.team_id,
    userId: row.user_id,
    models: row.models,
    rpm: row.rpm_limit,
    tpm: row.tpm_limit,
    maxParallel: row.max_parallel_requests,
    maxBudget: row.max_budget,
    budgetDurationMs: row.budget_duration === null ? null : durationMs(row.budget_duration),
    budgetAnchorMs: row.created_at.getTime(),
    expiresAt: row.expires_at?.getTime() ?? null,
    blocked: row.blocked,
    metadata: row.metadata,
    version: row.version,
  };
}

export function teamRecordOf(row: TeamRow): TeamRecord {
  return {
    teamId: row.team_id,
    teamAlias: row.team_alias,
    models: row.models,
    rpm: row.rpm_limit,
    tpm: row.tpm_limit,
    maxParallel: row.max_parallel_requests,
    maxBudget: row.max_budget,
    budgetDurationMs: row.budget_duration === null ? null : durationMs(row.budget_duration),
    budgetAnchorMs: row.created_at.getTime(),
    blocked: row.blocked,
    metadata: row.metadata,
    version: row.version,
  };
}
