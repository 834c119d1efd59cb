export { createLimiter, type LimiterDeps, type LimiterService } from './service.js';
export { ClusterLimiter, type LimitScope, type AdmitResult } from './cluster-limiter.js';
export { formatDuration, rateLimitHeaders } from './ratelimit-headers.js';
