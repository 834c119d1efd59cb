import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Migrations live in code (not files on disk) so the built service carries
 * them. Kysely's migrator takes a Postgres advisory lock, so replicas that
 * start together run each migration once.
 */
const migrations: Record<string, Migration> = {
  '0001_learner_events': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('processed_events')
        .addColumn('event_id', 'text', (col) => col.primaryKey())
        .addColumn('processed_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('deployment_usage')
        .addColumn('deployment_id', 'text', (col) => col.primaryKey())
        .addColumn('calls', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('failed_calls', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('prompt_tokens', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('completion_tokens', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('deployment_usage').execute();
      await db.schema.dropTable('processed_events').execute();
    },
  },
  '0002_bandit_cells': {
    async up(db: Kysely<unknown>) {
      // Evidence only: the prior comes from config, so a config change never corrupts what was learned.
      await db.schema
        .createTable('bandit_cells')
        .addColumn('router', 'text', (col) => col.notNull())
        .addColumn('request_type', 'text', (col) => col.notNull())
        .addColumn('model', 'text', (col) => col.notNull())
        .addColumn('alpha', 'double precision', (col) => col.notNull().defaultTo(0))
        .addColumn('beta', 'double precision', (col) => col.notNull().defaultTo(0))
        .addColumn('samples', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('version', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('bandit_cells_pkey', ['router', 'request_type', 'model'])
        .execute();
      await db.schema
        .createTable('router_sessions')
        .addColumn('router', 'text', (col) => col.notNull())
        .addColumn('session_key', 'text', (col) => col.notNull())
        .addColumn('first_type', 'text', (col) => col.notNull())
        .addColumn('satisfaction_credited', 'boolean', (col) => col.notNull().defaultTo(false))
        .addColumn('turns', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('router_sessions_pkey', ['router', 'session_key'])
        .execute();
      await db.schema.createIndex('router_sessions_updated_at').on('router_sessions').column('updated_at').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('router_sessions').execute();
      await db.schema.dropTable('bandit_cells').execute();
    },
  },
  '0003_teacher_evidence': {
    async up(db: Kysely<unknown>) {
      // How much evidence each teacher (caller) gave each cell per window: what caps one key's say (issue 18).
      await db.schema
        .createTable('teacher_evidence')
        .addColumn('router', 'text', (col) => col.notNull())
        .addColumn('request_type', 'text', (col) => col.notNull())
        .addColumn('model', 'text', (col) => col.notNull())
        .addColumn('teacher', 'text', (col) => col.notNull())
        .addColumn('window_start', 'timestamptz', (col) => col.notNull())
        .addColumn('mass', 'double precision', (col) => col.notNull().defaultTo(0))
        .addColumn('alpha', 'double precision', (col) => col.notNull().defaultTo(0))
        .addColumn('beta', 'double precision', (col) => col.notNull().defaultTo(0))
        .addColumn('last_accepted', 'double precision', (col) => col.notNull().defaultTo(0))
        .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('teacher_evidence_pkey', ['router', 'request_type', 'model', 'teacher', 'window_start'])
        .execute();
      await db.schema.createIndex('teacher_evidence_window_start').on('teacher_evidence').column('window_start').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('teacher_evidence').execute();
    },
  },
  '0004_cell_explicit_evidence': {
    async up(db: Kysely<unknown>) {
      // The part of a cell's evidence that came from explicit scores (POST /v1/feedback); the rest is implicit signals.
      await db.schema.alterTable('bandit_cells').addColumn('explicit_alpha', 'double precision', (col) => col.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('bandit_cells').addColumn('explicit_beta', 'double precision', (col) => col.notNull().defaultTo(0)).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('bandit_cells').dropColumn('explicit_beta').execute();
      await db.schema.alterTable('bandit_cells').dropColumn('explicit_alpha').execute();
    },
  },
  '0005_keys': {
    async up(db: Kysely<unknown>) {
      // Versions of key and team records come from one sequence, so a replica keeps the newest even across a re-create.
      await sql`create sequence key_record_versions`.execute(db);
      await db.schema
        .createTable('key_teams')
        .addColumn('team_id', 'text', (col) => col.primaryKey())
        .addColumn('team_alias', 'text')
        .addColumn('models', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('max_budget', 'double precision')
        .addColumn('budget_duration', 'text')
        .addColumn('rpm_limit', 'bigint')
        .addColumn('tpm_limit', 'bigint')
        .addColumn('max_parallel_requests', 'bigint')
        .addColumn('metadata', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('blocked', 'boolean', (col) => col.notNull().defaultTo(false))
        .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .addColumn('version', 'bigint', (col) => col.notNull().defaultTo(sql`nextval('key_record_versions')`))
        .execute();
      await db.schema
        .createTable('virtual_keys')
        .addColumn('key_hash', 'text', (col) => col.primaryKey())
        .addColumn('key_name', 'text', (col) => col.notNull())
        .addColumn('key_alias', 'text', (col) => col.unique())
        .addColumn('team_id', 'text', (col) => col.references('key_teams.team_id').onDelete('cascade'))
        .addColumn('user_id', 'text')
        .addColumn('models', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('max_budget', 'double precision')
        .addColumn('budget_duration', 'text')
        .addColumn('rpm_limit', 'bigint')
        .addColumn('tpm_limit', 'bigint')
        .addColumn('max_parallel_requests', 'bigint')
        .addColumn('metadata', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('expires_at', 'timestamptz')
        .addColumn('blocked', 'boolean', (col) => col.notNull().defaultTo(false))
        .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .addColumn('version', 'bigint', (col) => col.notNull().defaultTo(sql`nextval('key_record_versions')`))
        .execute();
      await db.schema.createIndex('virtual_keys_team_id').on('virtual_keys').column('team_id').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('virtual_keys').execute();
      await db.schema.dropTable('key_teams').execute();
      await sql`drop sequence key_record_versions`.execute(db);
    },
  },
  '0006_ledger': {
    async up(db: Kysely<unknown>) {
      // One row per provider call (the spend ledger, issue 17); the event id is the key that makes a redelivery harmless.
      await db.schema
        .createTable('spend_logs')
        .addColumn('event_id', 'text', (col) => col.primaryKey())
        .addColumn('request_id', 'text', (col) => col.notNull())
        .addColumn('client_request_id', 'text')
        .addColumn('attempt', 'integer', (col) => col.notNull())
        .addColumn('endpoint', 'text', (col) => col.notNull())
        .addColumn('key_hash', 'text')
        .addColumn('key_alias', 'text')
        .addColumn('team_id', 'text')
        .addColumn('team_alias', 'text')
        .addColumn('user_id', 'text')
        .addColumn('end_user', 'text')
        .addColumn('metadata', 'jsonb')
        .addColumn('model_group', 'text', (col) => col.notNull())
        .addColumn('deployment_id', 'text', (col) => col.notNull())
        .addColumn('provider', 'text', (col) => col.notNull())
        .addColumn('provider_model', 'text', (col) => col.notNull())
        .addColumn('stream', 'boolean', (col) => col.notNull())
        .addColumn('status', 'integer', (col) => col.notNull())
        .addColumn('outcome', 'text', (col) => col.notNull())
        .addColumn('provider_called', 'boolean', (col) => col.notNull())
        .addColumn('prompt_tokens', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('completion_tokens', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('total_tokens', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('cached_tokens', 'integer', (col) => col.notNull().defaultTo(0))
        // Null when no price was known for the model: counted as 0 in every total.
        .addColumn('cost', 'double precision')
        .addColumn('started_at', 'timestamptz', (col) => col.notNull())
        .addColumn('ended_at', 'timestamptz', (col) => col.notNull())
        .addColumn('recorded_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('spend_logs_started_at').on('spend_logs').column('started_at').execute();
      await db.schema.createIndex('spend_logs_request_id').on('spend_logs').column('request_id').execute();
      await db.schema.createIndex('spend_logs_key_started').on('spend_logs').columns(['key_hash', 'started_at']).execute();
      await db.schema.createIndex('spend_logs_user_started').on('spend_logs').columns(['user_id', 'started_at']).execute();
      await db.schema.createIndex('spend_logs_team_started').on('spend_logs').columns(['team_id', 'started_at']).execute();
      // Spend per key, team and user (`key:<hash>`, `team:<id>`, `user:<id>`), added to in SQL in the transaction that writes the rows.
      await db.schema
        .createTable('spend_totals')
        .addColumn('scope', 'text', (col) => col.primaryKey())
        .addColumn('spend', 'double precision', (col) => col.notNull().defaultTo(0))
        .addColumn('calls', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('last_call_at', 'timestamptz')
        .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('spend_totals').execute();
      await db.schema.dropTable('spend_logs').execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
