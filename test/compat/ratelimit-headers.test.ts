import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClusterLimiter, rateLimitHeaders, type LimitScope } from '@switchyard/limiter';

/**
 * `x-ratelimit-reset-*` as OpenAI means it: the time until the budget is
 * whole again. On the first request of a window that is the time until that
 * request slides out of the window, not 0ms.
 */

/** OpenAI's duration format back to milliseconds ("1m0.5s", "59.9s", "250ms"). */
function durationMs(text: string): number {
  const match = /^(?:(\d+)m)?(?:([\d.]+)s)?(?:(\d+)ms)?$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1] ?? 0) * 60_000 + Number(match[2] ?? 0) * 1000 + Number(match[3] ?? 0);
}

describe('compat: x-ratelimit-reset-* headers', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(() => redis?.disconnect());

  const scope: LimitScope = { name: 'dep:reset', rpm: 5, tpm: 1000, maxParallel: null };
  const admit = (limiter: ClusterLimiter, tokens: number) =>
    limiter.admit({ reservationId: randomUUID(), deploymentId: 'reset', scopes: [scope], tokens, leaseMs: 60_000 });

  it('compat: the first request of a window reports the time until it slides out of the window', async () => {
    const limiter = new ClusterLimiter({ redis, keyPrefix: `t_${randomBytes(4).toString('hex')}`, windowMs: 60_000, bucketMs: 1_000 });

    const headers = rateLimitHeaders(scope, await admit(limiter, 100));

    expect(headers['x-ratelimit-remaining-requests']).toBe('4');
    expect(headers['x-ratelimit-remaining-tokens']).toBe('900');
    for (const name of ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']) {
      // Counted in a one-second bucket: it leaves the window between 60 and 61 s from now.
      expect(durationMs(headers[name]!)).toBeGreaterThan(59_000);
      expect(durationMs(headers[name]!)).toBeLessThanOrEqual(61_000);
    }
  });

  it('compat: a later request reports the time until the newest request leaves, not the oldest', async () => {
    const limiter = new ClusterLimiter({ redis, keyPrefix: `t_${randomBytes(4).toString('hex')}`, windowMs: 2_000, bucketMs: 100 });
    await admit(limiter, 10);
    // The next reservation lands in a later bucket than the first (buckets are 100 ms); no event marks that moment.
    await new Promise((resolve) => setTimeout(resolve, 150));

    const headers = rateLimitHeaders({ ...scope, rpm: 5 }, await admit(limiter, 0));

    expect(headers['x-ratelimit-remaining-requests']).toBe('3');
    expect(durationMs(headers['x-ratelimit-reset-requests']!)).toBeGreaterThan(1_900);
    expect(durationMs(headers['x-ratelimit-reset-requests']!)).toBeLessThanOrEqual(2_100);
    // No tokens in this request: the tokens budget is whole once the first request's 10 leave, sooner.
    expect(durationMs(headers['x-ratelimit-reset-tokens']!)).toBeLessThan(durationMs(headers['x-ratelimit-reset-requests']!));
  });
});
