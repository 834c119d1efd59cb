export * from './model.js';
export { Secret } from './secret.js';
export { EnvError, loadServiceEnv } from './env.js';
export type { ServiceEnv } from './env.js';
export { ConfigError, loadGatewayConfig, parseGatewayConfig } from './load.js';
export type { ParseOptions } from './load.js';
export { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_YAML } from './default-config.js';
export { resolveModel } from './resolve.js';
