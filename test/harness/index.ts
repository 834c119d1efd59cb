export * from './servers.js';
export * from './isolation.js';
export * from './in-process-stack.js';
export * from './mock-provider.js';
export * from './redis-server.js';
export * from './otlp-receiver.js';
export * from './nats-server.js';
export * from './tcp-proxy.js';
