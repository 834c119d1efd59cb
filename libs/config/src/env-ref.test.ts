import { describe, expect, it } from 'vitest';
import { resolveEnvRef } from './env-ref.js';
import { ConfigError, parseGatewayConfig } from './index.js';

describe('config: os.environ/ references', () => {
  it.each([
    ['inline value', 'sk-1', {}, { kind: 'value', value: 'sk-1', source: 'inline' }],
    ['set variable', 'os.environ/KEY', { KEY: 'v' }, { kind: 'value', value: 'v', source: 'os.environ/KEY' }],
    ['unset variable', 'os.environ/KEY', {}, { kind: 'missing', name: 'KEY' }],
    ['empty variable counts as unset', 'os.environ/KEY', { KEY: '' }, { kind: 'missing', name: 'KEY' }],
    ['bad name', 'os.environ/1-x', {}, { kind: 'invalid' }],
  ])('config: %s', (_name, value, env, expected) => {
    expect(resolveEnvRef(value, env)).toMatchObject(expected);
  });

  const file = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o
      api_key: os.environ/AZURE_API_KEY
      api_base: os.environ/AZURE_API_BASE
      api_version: os.environ/AZURE_API_VERSION
general_settings:
  master_key: os.environ/SWITCHYARD_MASTER_KEY
`;

  it('config: present variables become the api key, base and version', () => {
    const config = parseGatewayConfig(file, {
      source: 'f.yaml',
      env: { AZURE_API_KEY: 'k', AZURE_API_BASE: 'https://x.openai.azure.com', AZURE_API_VERSION: '2024-06-01', SWITCHYARD_MASTER_KEY: 'm' },
    });
    const [d] = config.deployments;
    expect(d?.apiKey?.reveal()).toBe('k');
    expect(d).toMatchObject({ apiKeyEnv: null, missingEnv: [], apiBase: 'https://x.openai.azure.com', apiVersion: '2024-06-01' });
    expect(config.general.masterKey?.reveal()).toBe('m');
  });

  it('config: a missing provider variable loads (the ingress holds no keys) and is recorded on the deployment', () => {
    const config = parseGatewayConfig(file, { source: 'f.yaml', env: { SWITCHYARD_MASTER_KEY: 'm' } });
    expect(config.deployments[0]).toMatchObject({
      apiKey: null,
      apiKeyEnv: 'AZURE_API_KEY',
      apiBase: null,
      apiVersion: null,
      missingEnv: ['AZURE_API_KEY', 'AZURE_API_VERSION', 'AZURE_API_BASE'],
    });
  });

  it('config: a missing master key variable is an error naming the field, the variable and the file', () => {
    const load = (): unknown => parseGatewayConfig(file, { source: 'f.yaml', env: {} });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow('f.yaml: general_settings.master_key: environment variable SWITCHYARD_MASTER_KEY is not set (os.environ/SWITCHYARD_MASTER_KEY)');
  });

  it.each([
    ['redis_password', 'redis_host: h, redis_password: os.environ/R'],
    ['redis_url', 'redis_url: os.environ/R'],
    ['redis_host', 'redis_host: os.environ/R'],
    ['redis_port', 'redis_host: h, redis_port: os.environ/R'],
  ])('config: a missing %s variable is an error', (field, settings) => {
    const text = `model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\nrouter_settings: { ${settings} }\n`;
    expect(() => parseGatewayConfig(text, { source: 'f.yaml', env: {} })).toThrow(
      `f.yaml: router_settings.${field}: environment variable R is not set (os.environ/R)`,
    );
  });

  it('config: the loader reads only the env it is given, never process.env', () => {
    process.env['SY_TEST_ONLY_IN_PROCESS'] = 'leak';
    try {
      const text = 'model_list: [{ model_name: a, litellm_params: { model: openai/a, api_key: os.environ/SY_TEST_ONLY_IN_PROCESS } }]\n';
      expect(parseGatewayConfig(text, { source: 'f.yaml', env: {} }).deployments[0]?.apiKeyEnv).toBe('SY_TEST_ONLY_IN_PROCESS');
    } finally {
      delete process.env['SY_TEST_ONLY_IN_PROCESS'];
    }
  });
});
