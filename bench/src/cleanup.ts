import { Redis } from 'ioredis';
import { connect } from 'nats';
import pg from 'pg';
import { busNames } from '@switchyard/contracts';

/*
 * What a benchmark run leaves in the shared servers, removed again: its
 * JetStream streams (events, body store, cells bucket), its Redis keys and
 * its database. Best effort: a server that is gone has nothing to clean.
 */
export async function cleanupBusPrefix(options: { prefix: string; adminUrl: string; databaseUrl: string }): Promise<void> {
  const names = busNames(options.prefix);
  await Promise.allSettled([
    (async () => {
      const nc = await connect({ servers: (process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222').split(',') });
      try {
        const jsm = await nc.jetstreamManager();
        for (const stream of [names.eventsStream, `OBJ_${names.bodyBucket}`, `KV_${names.cellsBucket}`]) {
          await jsm.streams.delete(stream).catch(() => undefined);
        }
      } finally {
        await nc.close();
      }
    })(),
    (async () => {
      const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        await deleteKeys(redis, `${options.prefix}:*`);
      } finally {
        redis.disconnect();
      }
    })(),
    (async () => {
      const name = new URL(options.databaseUrl).pathname.slice(1);
      if (!/^sy_bench_[0-9a-f]+$/.test(name)) return;
      const client = new pg.Client({ connectionString: options.adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    })(),
  ]);
}

/** Deletes every key matching `pattern` (SCAN, never KEYS). */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}
