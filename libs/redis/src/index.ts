export { createRedisClient } from './client.js';
export type { Redis } from 'ioredis';
