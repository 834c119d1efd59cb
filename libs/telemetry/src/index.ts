export * from './logger.js';
export * from './metrics.js';
export * from './ops-server.js';
export * from './shutdown.js';
export * from './service-runtime.js';
export * from './tracing.js';
export * from './startup.js';
