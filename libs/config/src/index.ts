export * from './model.js';
export { MIN_SECRET_FORM_CHARS, Secret, secretForms, secretList, urlCredentials } from './secret.js';
export { deploymentSecrets } from './deployment.js';
export { EnvError, loadServiceEnv } from './env.js';
export type { ServiceEnv } from './env.js';
export { ConfigError, loadGatewayConfig, parseGatewayConfig } from './load.js';
export type { ParseOptions } from './load.js';
export { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_YAML } from './default-config.js';
export { resolveModel } from './resolve.js';
