import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

// bigint columns come back as strings by default; counters here fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

/**
 * A Kysely instance over a pg pool. A client whose server went away
 * (Postgres restarted, a proxy cut) emits 'error', and an 'error' without a
 * listener crashes the process. The pool listens only while a client is idle
 * (and re-emits on the pool); a client checked out for a query or a
 * transaction emits on itself. So every client gets its own listener the
 * moment the pool creates it: the query or transaction in flight fails (and
 * is retried by its caller), the pool drops the broken client and connects a
 * new one on the next query. `onConnectionLost` hears each lost client once.
 */
export function createDb(url: string, poolSize = 10, onConnectionLost: (error: Error) => void = () => undefined): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool(url, poolSize, onConnectionLost) }) });
}

/** A pg pool whose clients never crash the process, idle or checked out (see createDb). */
export function createPool(url: string, poolSize: number, onConnectionLost: (error: Error) => void): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // The idle client's error was already heard by its own listener below.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => guardClient(client, onConnectionLost));
  return pool;
}

/**
 * Listens for a client's 'error' (a LISTEN client or one used outside a pool
 * needs it as much as a pooled one). pg may emit twice for one loss (the
 * reset, then the end of the socket): reported once.
 */
export function guardClient(client: pg.ClientBase, onConnectionLost: (error: Error) => void): void {
  let reported = false;
  client.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    onConnectionLost(error);
  });
}

export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/**
 * Creates the database named in `url` when it does not exist, so a service
 * pointed at a fresh Postgres starts without a manual step. Replicas racing
 * to create it are fine: the loser sees "already exists".
 */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) return;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  // A loss here rejects connect() or the query in flight, which is what the caller hears.
  guardClient(client, () => undefined);
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`create database "${name.replaceAll('"', '""')}"`).catch((error: { code?: string }) => {
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await client.end();
  }
}
