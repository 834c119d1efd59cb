import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClusterLimiter, type LimitScope } from '@switchyard/limiter';

/**
 * The sliding window itself, against the real Redis, with windows shortened
 * to seconds so that tests can watch them slide.
 */
describe('limits: sliding window in Redis', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
  });

  const limiterFor = (windowMs: number, bucketMs: number) =>
    new ClusterLimiter({ redis, keyPrefix: `t_${randomBytes(4).toString('hex')}`, windowMs, bucketMs });
  const scope = (limits: Partial<LimitScope>): LimitScope => ({ name: 'dep:test', rpm: null, tpm: null, maxParallel: null, ...limits });
  const admit = (limiter: ClusterLimiter, limits: Partial<LimitScope>, tokens = 0, leaseMs = 60_000) =>
    limiter.admit({ reservationId: randomUUID(), deploymentId: 'test', scopes: [scope(limits)], tokens, leaseMs });
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('settlement moves the token count down to a smaller actual usage and up to a larger one', async () => {
    const limiter = limiterFor(60_000, 1_000);
    const first = await admit(limiter, { tpm: 1000 }, 100);
    if (!first.admitted) throw new Error('expected admission');
    expect(first.remainingTokens).toBe(900);

    expect(await limiter.settle(first.reservation, 30)).toBe(true);
    const second = await admit(limiter, { tpm: 1000 }, 0);
    expect(second.remainingTokens).toBe(970);

    const third = await admit(limiter, { tpm: 1000 }, 100);
    if (!third.admitted) throw new Error('expected admission');
    await limiter.settle(third.reservation, 250);
    const fourth = await admit(limiter, { tpm: 1000 }, 0);
    expect(fourth.remainingTokens).toBe(1000 - 30 - 250);
  });

  it('settles a reservation once: a redelivered completion changes nothing', async () => {
    const limiter = limiterFor(60_000, 1_000);
    const admitted = await admit(limiter, { tpm: 1000, maxParallel: 5 }, 100);
    if (!admitted.admitted) throw new Error('expected admission');
    expect(await limiter.settle(admitted.reservation, 10)).toBe(true);
    expect(await limiter.settle(admitted.reservation, 10)).toBe(false);
    expect((await admit(limiter, { tpm: 1000 }, 0)).remainingTokens).toBe(990);
  });

  it('an unsettled call frees its concurrency slot when its lease expires', async () => {
    const limiter = limiterFor(60_000, 1_000);
    const held = await admit(limiter, { maxParallel: 1 }, 0, 300);
    expect(held.admitted).toBe(true);
    const blocked = await admit(limiter, { maxParallel: 1 }, 0, 300);
    expect(blocked).toMatchObject({ admitted: false, reason: 'parallel' });
    await wait(400);
    expect((await admit(limiter, { maxParallel: 1 }, 0, 300)).admitted).toBe(true);
  });

  it('unsettled reserved tokens leave the window when it slides past them', async () => {
    const limiter = limiterFor(1_000, 100);
    expect((await admit(limiter, { tpm: 100 }, 100)).admitted).toBe(true);
    const denied = await admit(limiter, { tpm: 100 }, 1);
    expect(denied).toMatchObject({ admitted: false, reason: 'tpm' });
    if (denied.admitted) throw new Error('unreachable');
    expect(denied.retryAfterMs).toBeGreaterThan(0);
    expect(denied.retryAfterMs).toBeLessThanOrEqual(1_100);
    await wait(denied.retryAfterMs + 20);
    expect((await admit(limiter, { tpm: 100 }, 100)).admitted).toBe(true);
  });

  it('a burst at a window boundary does not double the limit', async () => {
    const windowMs = 2_000;
    const limiter = limiterFor(windowMs, 100);
    // Line the first burst up just before a multiple of the window, where a fixed window would reset.
    const [seconds, micros] = (await redis.time()) as unknown as [string, string];
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    let delay = windowMs - (now % windowMs) - 150;
    if (delay < 0) delay += windowMs;
    await wait(delay);
    const before = await Promise.all(Array.from({ length: 10 }, () => admit(limiter, { rpm: 10 })));
    await wait(300); // now past the boundary
    const after = await Promise.all(Array.from({ length: 10 }, () => admit(limiter, { rpm: 10 })));
    expect(before.filter((result) => result.admitted)).toHaveLength(10);
    expect(after.filter((result) => result.admitted)).toHaveLength(0);
  });

  it('no window of the configured length ever holds more than the limit (steady load over 3 windows)', async () => {
    const windowMs = 1_000;
    const leaseMs = 60_000;
    const limiter = limiterFor(windowMs, 50);
    const admittedAt: number[] = [];
    const started = Date.now();
    let attempts = 0;
    while (Date.now() - started < 3 * windowMs) {
      const result = await admit(limiter, { rpm: 7 }, 0, leaseMs);
      attempts++;
      // Redis's clock: the reservation expires exactly leaseMs after its admission.
      if (result.admitted) admittedAt.push(result.reservation.expiresAt - leaseMs);
      await wait(5 + (attempts % 4) * 7);
    }
    expect(attempts).toBeGreaterThan(60);
    let busiest = 0;
    for (const start of admittedAt) {
      busiest = Math.max(busiest, admittedAt.filter((t) => t >= start && t < start + windowMs).length);
    }
    expect(busiest).toBeLessThanOrEqual(7);
    // And the limiter is not starving: it admits close to the limit in each window.
    expect(admittedAt.length).toBeGreaterThanOrEqual(3 * 7 - 7);
  });
});
