import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, eventually, OwnRedisServer, startMockProvider, type MockProvider } from '../harness/index.js';
import { faultConfig, startFaultStack, type FaultStack } from './support/fault-stack.js';
import { chatBody, count, Load, untilServed, type CleanPolicy, type Outcome } from './support/load.js';
import { describeBad, maxCallsPerRequest, providerCallsByMarker, recordRows, rowOf } from './support/reliability.js';
import { SignalProbe } from './support/signals.js';

/**
 * Issue 7: the limiter's Redis is SIGKILLed under load. While it is down the
 * limiter applies the configured policy (reject: 503 limiter_unavailable);
 * when it is back, limits hold again, and no concurrency slot stays taken:
 * the Redis here persists every write (a crash of a durable Redis), so the
 * slots of the calls in flight at the kill survive it and must be freed by
 * their settlements, which failed while Redis was down and are redelivered.
 */

const TIMEOUT_S = 2;
const MAX_PARALLEL = 8;
const CLIENT_TIMEOUT_MS = TIMEOUT_S * 1000 + 5_000 + 4_000;
const POLICY: CleanPolicy = { statuses: [503, 429] };

describe('faults: Redis killed and restarted under load', () => {
  let redis: OwnRedisServer;
  let mock: MockProvider;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let stack: FaultStack;
  let signals: SignalProbe;
  let store: Redis;

  beforeAll(async () => {
    const servers = inject('servers');
    [redis, mock] = await Promise.all([OwnRedisServer.start({ persistent: true }), startMockProvider({ maxRecorded: 10_000 })]);
    database = await createTestDatabase(servers.postgresUrl);
    stack = await startFaultStack({
      natsUrl: servers.natsUrl,
      redisUrl: redis.url,
      databaseUrl: database.url,
      configYaml: faultConfig(mock.url, { timeoutSeconds: TIMEOUT_S, limits: { rpm: 100_000, maxParallel: MAX_PARALLEL } }),
      scale: { ingress: 1, limiter: 1, 'upstream-caller': 1, learner: 0 },
    });
    signals = await SignalProbe.open(servers.natsUrl, database.url, stack.prefix);
    store = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    store.on('error', () => undefined);
  }, 90_000);

  afterAll(async () => {
    store?.disconnect();
    await signals?.close();
    await stack?.stop();
    await Promise.all([redis?.stop(), mock?.close()]);
    await database?.drop();
  });

  /** Concurrency slots held right now (lease not expired), over every scope of this stack. */
  async function slotsHeld(): Promise<{ held: number; leaseEndsMs: number }> {
    const [seconds, micros] = (await store.time()) as [number, number];
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const keys = await store.keys(`${stack.prefix}:rl:*:inflight`);
    let held = 0;
    let leaseEndsMs = 0;
    for (const key of keys) {
      const live = await store.zrangebyscore(key, `(${now}`, '+inf', 'WITHSCORES');
      held += live.length / 2;
      for (let i = 1; i < live.length; i += 2) leaseEndsMs = Math.max(leaseEndsMs, Number(live[i]) - now);
    }
    return { held, leaseEndsMs };
  }

  it('faults: Redis down -> 503 limiter_unavailable; back -> served, limits enforced, no slot left taken', async () => {
    await store.connect();
    mock.behave('*', { latencyMs: 150 });
    const url = stack.stack.ingressUrls[0]!.replace(/\/v1$/, '');
    const request = (_index: number, marker: string) => ({ url, body: chatBody('chat', marker) });
    const load = new Load({ label: 'redis', total: 60, concurrency: 4, timeoutMs: CLIENT_TIMEOUT_MS, policy: POLICY, request });
    await load.until((done) => count(done, 'ok') >= 12, '12 requests served before the kill');
    const killedAt = Date.now();
    await redis.kill();
    await load.until((done) => done.filter((o) => o.startedAt > killedAt && o.code === 'limiter_unavailable').length >= 4, 'four requests refused by the policy');
    await redis.restart();
    const restartedAt = Date.now();
    const probe = await untilServed((marker) => request(0, marker), POLICY, CLIENT_TIMEOUT_MS, 'redis');
    await load.finished;
    const outcomes: Outcome[] = [...load.outcomes, ...probe.outcomes];

    // Every call-completed event settled (those that failed while Redis was down were redelivered).
    await eventually(async () => ((await signals.unsettled()) === 0 ? true : undefined), 30_000, 'every reservation settled');
    // A reservation can outlive its request when Redis died after running the admission but before
    // answering it (the limiter then refused the request): its slot frees itself when its lease
    // (timeout + 30 s) ends. Those are counted here, then waited out.
    const orphaned = await slotsHeld();
    if (orphaned.held > 0) {
      await eventually(async () => ((await slotsHeld()).held === 0 ? true : undefined), orphaned.leaseEndsMs + 5_000, 'leases to expire');
    }
    const afterExpiry = await slotsHeld();

    // Limits are enforced again: MAX_PARALLEL + 4 slow requests at once, exactly MAX_PARALLEL admitted.
    mock.behave('*', { latencyMs: 1_000 });
    const burst = await new Load({
      label: 'redis',
      total: MAX_PARALLEL + 4,
      concurrency: MAX_PARALLEL + 4,
      timeoutMs: CLIENT_TIMEOUT_MS,
      policy: { statuses: [429] },
      request,
    }).finished;
    mock.behave('*', { latencyMs: 0 });
    await eventually(async () => ((await signals.unsettled()) === 0 ? true : undefined), 30_000, 'the burst settled');
    const afterBurst = await slotsHeld();

    const all = [...outcomes, ...burst];
    const calls = providerCallsByMarker(mock);
    await recordRows([
      rowOf('redis: SIGKILL and restart (reject policy)', all, mock, {
        signalsLostOrDoubled: afterExpiry.held + afterBurst.held,
        recoverMs: probe.recoveredMs,
        note: `refused while down: ${outcomes.filter((o) => o.code === 'limiter_unavailable').length} (503 limiter_unavailable); reservations orphaned by the kill (admitted in Redis, reply lost) held until their lease expired: ${orphaned.held}; ${restartedAt - killedAt} ms down`,
      }),
    ]);

    expect(count(all, 'hung'), describeBad(all)).toBe(0);
    expect(count(all, 'unclean'), describeBad(all)).toBe(0);
    // While Redis was down the policy answered, with the documented code.
    const refused = outcomes.filter((o) => o.status === 503);
    expect(refused.length).toBeGreaterThanOrEqual(4);
    expect(new Set(refused.map((o) => o.code))).toEqual(new Set(['limiter_unavailable']));
    // Nothing refused reached the provider; nothing reached it twice.
    for (const outcome of refused) expect(calls.get(outcome.marker) ?? 0).toBe(0);
    expect(maxCallsPerRequest(all, calls)).toBeLessThanOrEqual(1);
    // No slot outlived its lease; every settled call freed its slot.
    expect(afterExpiry.held).toBe(0);
    expect(afterBurst.held).toBe(0);
    // Limits hold again, at full capacity (no slot leaked before the burst).
    expect(count(burst, 'ok')).toBe(MAX_PARALLEL);
    expect(burst.filter((o) => o.status === 429).map((o) => [o.code, o.retryAfter !== null])).toEqual(
      Array.from({ length: 4 }, () => ['rate_limit_exceeded', true]),
    );
  }, 120_000);
});
