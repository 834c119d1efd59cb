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
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
