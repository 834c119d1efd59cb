import type { ColumnType, Generated } from 'kysely';

/** Event ids already applied: makes JetStream redelivery harmless. */
export interface ProcessedEventsTable {
  event_id: string;
  processed_at: Generated<Date>;
}

/** Running totals per deployment, learned from call-completed events. */
export interface DeploymentUsageTable {
  deployment_id: string;
  calls: ColumnType<string, number, number>;
  failed_calls: ColumnType<string, number, number>;
  prompt_tokens: ColumnType<string, number, number>;
  completion_tokens: ColumnType<string, number, number>;
  updated_at: Generated<Date>;
}

/** One Beta cell per (router, request type, model): the learned evidence, added to atomically. */
export interface BanditCellsTable {
  router: string;
  request_type: string;
  model: string;
  alpha: number;
  beta: number;
  samples: ColumnType<number, number, number>;
  version: ColumnType<number, number, number>;
  /** The part of alpha and beta that explicit scores gave. */
  explicit_alpha: Generated<number>;
  explicit_beta: Generated<number>;
  updated_at: Generated<Date>;
}

/** What a learned conversation must remember beyond its history: its first type and one-time credit. */
export interface RouterSessionsTable {
  router: string;
  session_key: string;
  first_type: string;
  satisfaction_credited: Generated<boolean>;
  turns: ColumnType<number, number | undefined, number>;
  updated_at: Generated<Date>;
}

/** Evidence per (cell, teacher, window): mass (weighted alpha + beta, capped), its alpha and beta, and what the last batch was granted. */
export interface TeacherEvidenceTable {
  router: string;
  request_type: string;
  model: string;
  teacher: string;
  window_start: Date;
  mass: number;
  alpha: number;
  beta: number;
  last_accepted: number;
  updated_at: Generated<Date>;
}

/** A virtual key, by its sha256 hash (the key itself is never stored); LiteLLM's LiteLLM_VerificationToken. */
export interface VirtualKeysTable {
  key_hash: string;
  key_name: string;
  key_alias: string | null;
  team_id: string | null;
  user_id: string | null;
  /** jsonb: written as JSON text, read as the array. */
  models: ColumnType<string[], string, string>;
  max_budget: number | null;
  budget_duration: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  metadata: ColumnType<Record<string, unknown>, string, string>;
  expires_at: Date | null;
  blocked: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** From one sequence for keys and teams: grows with every change, also across a delete and re-create. */
  version: Generated<number>;
}

/** A team: its own models, limits and budget, shared by its keys; LiteLLM's LiteLLM_TeamTable. */
export interface KeyTeamsTable {
  team_id: string;
  team_alias: string | null;
  models: ColumnType<string[], string, string>;
  max_budget: number | null;
  budget_duration: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  metadata: ColumnType<Record<string, unknown>, string, string>;
  blocked: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  version: Generated<number>;
}

/** One provider call in the spend ledger (migration 0006). */
export interface SpendLogsTable {
  event_id: string;
  request_id: string;
  client_request_id: string | null;
  attempt: number;
  endpoint: string;
  key_hash: string | null;
  key_alias: string | null;
  team_id: string | null;
  team_alias: string | null;
  user_id: string | null;
  end_user: string | null;
  /** JSON text on insert; parsed JSON on select. */
  metadata: ColumnType<unknown, string | null, string | null>;
  model_group: string;
  deployment_id: string;
  provider: string;
  provider_model: string;
  stream: boolean;
  status: number;
  outcome: string;
  provider_called: boolean;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number;
  cost: number | null;
  started_at: ColumnType<Date, Date | string, Date | string>;
  ended_at: ColumnType<Date, Date | string, Date | string>;
  recorded_at: Generated<Date>;
}

/** Recorded spend per `key:<hash>`, `team:<id>` or `user:<id>` (migration 0006). */
export interface SpendTotalsTable {
  scope: string;
  spend: number;
  calls: ColumnType<number, number, number>;
  last_call_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  updated_at: Generated<Date>;
}

export interface Database {
  processed_events: ProcessedEventsTable;
  deployment_usage: DeploymentUsageTable;
  bandit_cells: BanditCellsTable;
  router_sessions: RouterSessionsTable;
  teacher_evidence: TeacherEvidenceTable;
  virtual_keys: VirtualKeysTable;
  key_teams: KeyTeamsTable;
  spend_logs: SpendLogsTable;
  spend_totals: SpendTotalsTable;
}
