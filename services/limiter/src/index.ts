export { createLimiter, type LimiterDeps, type LimiterService } from './service.js';
