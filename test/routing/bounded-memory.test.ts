import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectBus, type NatsConnection } from '@switchyard/bus';
import { parseGatewayConfig } from '@switchyard/config';
import { busNames } from '@switchyard/contracts';
import { AdaptiveRouting, CellCache, SessionOwners, SESSION_OWNER_TTL_SECONDS } from '@switchyard/ingress';
import { createLogger } from '@switchyard/telemetry';
import { uniquePrefix } from '../harness/index.js';
import { routerConfig } from './fixtures.js';

const SESSIONS = 100_000;
const CONCURRENCY = 200;

function heapAfterCollection(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (vitest.config.ts sets it)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * The reference router kept an in-process session-owner map that grew with
 * every conversation. Here 100,000 distinct sessions must leave their state
 * in Redis, with a TTL, and none in the process.
 */
describe('routing: bounded memory', () => {
  let nc: NatsConnection;
  let redis: Redis;
  let cells: CellCache;
  const names = busNames(uniquePrefix());
  const logger = createLogger({ service: 'test', level: 'silent' });

  beforeAll(async () => {
    nc = await connectBus({ url: inject('servers').natsUrl, name: 'bounded-memory', logger });
    redis = new Redis(inject('servers').redisUrl);
    cells = await CellCache.open(nc, names.cellsBucket, logger);
  });
  afterAll(async () => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${names.prefix}:*`, 'COUNT', 5000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    await cells?.close();
    redis?.disconnect();
    await nc?.drain();
  });

  it(`routes ${SESSIONS.toLocaleString('en')} distinct sessions with no per-session state in process memory`, async () => {
    const config = parseGatewayConfig(routerConfig('http://127.0.0.1:9'), { source: '<test>', env: {} });
    const routing = new AdaptiveRouting(config, cells, new SessionOwners(redis, names.prefix));
    const route = (i: number) =>
      routing.choose('smart', {
        body: { model: 'smart', messages: [{ role: 'user', content: `Write a python script number ${i}` }] },
        headers: { 'x-switchyard-session-id': `session-${i}` },
        callerId: 'key_test',
      });

    // Warm up (JIT, pools), then measure from a collected heap.
    for (let i = 0; i < 2_000; i++) await route(-i - 1);
    const before = heapAfterCollection();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < SESSIONS) {
          const choice = await route(next++);
          if (choice.sessionKey === null || choice.owner === null) throw new Error('every routed session must get an owner');
        }
      }),
    );
    const grown = heapAfterCollection() - before;

    // 100k retained sessions would cost well over 10 MB (a 64-hex key and an owner each); none may stay.
    expect(grown).toBeLessThan(5 * 1024 * 1024);
    expect(cells.size).toBeLessThanOrEqual(7 * 2);

    let owners = 0;
    let cursor = '0';
    const sampled: string[] = [];
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${names.prefix}:session-owner:smart:*`, 'COUNT', 5000);
      owners += keys.length;
      if (sampled.length < 50) sampled.push(...keys.slice(0, 50 - sampled.length));
      cursor = nextCursor;
    } while (cursor !== '0');
    expect(owners).toBe(SESSIONS + 2_000);
    for (const key of sampled) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(SESSION_OWNER_TTL_SECONDS);
    }
  }, 180_000);
});
