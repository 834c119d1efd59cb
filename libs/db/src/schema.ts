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

export interface Database {
  processed_events: ProcessedEventsTable;
  deployment_usage: DeploymentUsageTable;
}
