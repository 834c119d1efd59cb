import { EventEmitter, once } from 'node:events';
import { setTimeout } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, sql, type Database, type Kysely } from '@switchyard/db';
import { createTestDatabase, eventually, startTcpProxy, viaProxy, type TcpProxy } from '../harness/index.js';

/**
 * Issue 12: a pg client that is checked out (mid-query, mid-transaction)
 * when its server goes away emits 'error' on itself, not on the pool. With
 * no listener there, the process dies of "Connection terminated
 * unexpectedly". createDb gives every client a listener: the work in flight
 * fails, the loss is reported, and the pool serves again once Postgres is back.
 */
describe('faults: pg clients whose server goes away', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let db: Kysely<Database>;
  /** Reads pg_stat_activity directly, never through the proxy. */
  let direct: Kysely<Database>;
  const lost: Error[] = [];
  const losses = new EventEmitter();

  beforeAll(async () => {
    const servers = inject('servers');
    database = await createTestDatabase(servers.postgresUrl);
    const target = new URL(servers.postgresUrl);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    db = createDb(viaProxy(database.url, proxy), 4, (error) => {
      lost.push(error);
      losses.emit('lost');
    });
    direct = createDb(database.url, 1);
  });

  afterAll(async () => {
    await db?.destroy();
    await direct?.destroy();
    await proxy?.close();
    await database?.drop();
  });

  it('faults: a cut mid-transaction fails the transaction, is reported, and does not crash; the pool serves after the restore', async () => {
    const transaction = db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      // The client is checked out and idle between two statements of the transaction.
      const heard = once(losses, 'lost');
      await proxy.cut();
      // Bounded: without a listener on the client the loss is never heard (the process dies of it instead).
      await Promise.race([heard, setTimeout(5_000)]);
      await sql`select 2`.execute(trx);
    });
    await expect(transaction).rejects.toThrow();
    expect(lost.length).toBeGreaterThanOrEqual(1);

    await proxy.restore();
    const row = await sql<{ n: number }>`select 3 as n`.execute(db);
    expect(row.rows[0]?.n).toBe(3);
  }, 15_000);

  it('faults: a cut during a running query fails that query and does not crash', async () => {
    const before = lost.length;
    const slow = sql`select pg_sleep(5)`.execute(db);
    await eventually(async () => {
      const running = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where query = 'select pg_sleep(5)' and state = 'active'`.execute(direct);
      return (running.rows[0]?.n ?? 0) > 0 ? true : undefined;
    }, 10_000, 'the query to run on the server');
    await proxy.cut();
    await expect(slow).rejects.toThrow();
    expect(lost.length).toBeGreaterThan(before);
    await proxy.restore();
    const row = await sql<{ n: number }>`select 4 as n`.execute(db);
    expect(row.rows[0]?.n).toBe(4);
  }, 15_000);
});
