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
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
