import type { Redis } from 'ioredis';
import { eventually, type InProcessStack } from '../harness/index.js';

export async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}

/**
 * Runs one call on a clean limiter and returns the token totals of the
 * limiter's windows once no reservation is pending: what the reservation
 * was settled to.
 */
export async function settledTokenTotals(redis: Redis, stack: InProcessStack, call: () => Promise<unknown>): Promise<number[]> {
  const keys = async () => redis.keys(`${stack.names.prefix}:rl:*`);
  const stale = await keys();
  if (stale.length > 0) await redis.del(...stale);
  await call();
  return eventually(async () => {
    const all = await keys();
    const tokenKeys = all.filter((key) => key.endsWith(':tok'));
    if (all.some((key) => key.includes(':rl:res:')) || tokenKeys.length === 0) return undefined;
    return Promise.all(tokenKeys.map(async (key) => Object.values(await redis.hgetall(key)).reduce((sum, value) => sum + Number(value), 0)));
  }, 15_000, 'the reservation to be settled');
}
