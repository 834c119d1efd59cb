import { Redis } from 'ioredis';
import type { Logger } from '@switchyard/telemetry';

/**
 * A Redis client for the admission path: no offline queue (a command while
 * disconnected fails at once, so the unavailability policy applies instead of
 * requests piling up), a short command timeout, and reconnection forever.
 */
export function createRedisClient(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 2_000,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(1_000, 50 * attempt),
    lazyConnect: false,
  });
  // One line when the connection is lost and one when it is back, not one per reconnect attempt.
  let healthy = true;
  redis.on('ready', () => {
    if (!healthy) logger.info('redis connection restored');
    healthy = true;
  });
  redis.on('error', (error: Error) => {
    if (healthy) logger.warn({ err: { message: error.message } }, 'redis unreachable: reconnecting');
    healthy = false;
  });
  return redis;
}
