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

export interface Database {
  processed_events: ProcessedEventsTable;
  deployment_usage: DeploymentUsageTable;
  bandit_cells: BanditCellsTable;
  router_sessions: RouterSessionsTable;
  teacher_evidence: TeacherEvidenceTable;
}
