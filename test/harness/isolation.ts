import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The tag of this test run (set by the global setup): the first four hex
 * digits of every prefix, so that the run's clean-up deletes its own streams
 * and never those of another run sharing the same NATS at the same moment.
 */
export const TEST_RUN_ENV = 'SWITCHYARD_TEST_RUN';

/** A bus prefix of its own for each test: subjects, streams and buckets never collide. */
export function uniquePrefix(label = 't'): string {
  const run = /^[0-9a-f]{4}$/.test(process.env[TEST_RUN_ENV] ?? '') ? process.env[TEST_RUN_ENV]! : randomBytes(2).toString('hex');
  return `${label}_${run}${randomBytes(3).toString('hex')}`;
}

/** A fresh database on the shared Postgres; `drop()` removes it. */
export async function createTestDatabase(adminUrl: string): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `sy_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => dropTestDatabase(adminUrl, url.toString()) };
}

/** Drops a database made by createTestDatabase, given its URL. */
export async function dropTestDatabase(adminUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  if (!/^sy_test_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}: not a test database`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`drop database if exists ${name} with (force)`);
  await client.end();
}

/**
 * Polls `probe` until it returns a value that is not undefined, for state
 * that only a store can tell (rows in Postgres); bounded by `timeoutMs`.
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
