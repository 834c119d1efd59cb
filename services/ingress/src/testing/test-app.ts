import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseGatewayConfig, type GatewayConfig } from '@switchyard/config';
import { createLogger, Registry } from '@switchyard/telemetry';
import { buildIngressApp } from '../app.js';
import type { StoredResponses } from '../stored-responses.js';
import { FakeDispatcher, type FakeDispatcherOptions } from './fake-dispatcher.js';

/*
 * The ingress app as `inject` tests build it: the production buildIngressApp
 * with a parsed config, a silent logger, its own metrics registry and a
 * FakeDispatcher. For tests only.
 */

export const TEST_PROVIDER_KEY = 'sk-provider-secret-123';

export interface TestConfigOptions {
  masterKey?: string;
  maxRequestBodyBytes?: number;
  numRetries?: number;
  /** Single-deployment models `model-0` ... (default 6). */
  models?: number;
}

/**
 * A LiteLLM-format config: `model-<i>` with one deployment each, a group
 * `pool` of three, an embedding model `embed` and an alias `smart` -> model-3.
 */
export function testConfigYaml(options: TestConfigOptions = {}): string {
  const entries: string[] = [];
  const deployment = (name: string, model: string) => `  - model_name: ${name}
    litellm_params:
      model: openai/${model}
      api_base: http://127.0.0.1:9/v1
      api_key: os.environ/MOCK_PROVIDER_KEY`;
  for (let i = 0; i < (options.models ?? 6); i++) entries.push(deployment(`model-${i}`, `provider-model-${i}`));
  for (const member of ['a', 'b', 'c']) entries.push(deployment('pool', `pool-${member}`));
  entries.push(deployment('embed', 'embedding-model'));
  const general: string[] = [];
  if (options.masterKey) general.push(`  master_key: ${options.masterKey}`);
  if (options.maxRequestBodyBytes !== undefined) general.push(`  max_request_body_bytes: ${options.maxRequestBodyBytes}`);
  return `model_list:
${entries.join('\n')}
router_settings:
  num_retries: ${options.numRetries ?? 0}
  model_group_alias:
    smart: model-3
general_settings:
${general.length > 0 ? general.join('\n') : '  {}'}
`;
}

export function testConfig(options: TestConfigOptions = {}): GatewayConfig {
  return parseGatewayConfig(testConfigYaml(options), { source: '<test>', env: { MOCK_PROVIDER_KEY: TEST_PROVIDER_KEY } });
}

export interface TestIngress {
  app: FastifyInstance;
  dispatcher: FakeDispatcher;
  registry: Registry;
  /** Makes the app behave as a replica that received SIGTERM. */
  shutDown(): void;
}

export async function buildTestIngress(
  options: TestConfigOptions & { config?: GatewayConfig; dispatcher?: FakeDispatcherOptions; storedResponses?: StoredResponses; authenticate?: (authorization: string | undefined) => string | null } = {},
): Promise<TestIngress> {
  const dispatcher = new FakeDispatcher(options.dispatcher);
  const registry = new Registry();
  let shuttingDown = false;
  const app = buildIngressApp({
    config: options.config ?? testConfig(options),
    dispatcher,
    adaptive: null,
    logger: createLogger({ service: 'ingress-test', level: 'silent' }),
    registry,
    checks: [],
    isShuttingDown: () => shuttingDown,
    ...(options.storedResponses ? { storedResponses: options.storedResponses } : {}),
    ...(options.authenticate ? { authenticate: options.authenticate } : {}),
  });
  await app.ready();
  return { app, dispatcher, registry, shutDown: () => void (shuttingDown = true) };
}

/** OpenAI's error shape exactly: `error` and nothing else, four fields and nothing else. */
export const OpenAIErrorShape = z.strictObject({
  error: z.strictObject({
    message: z.string().min(1),
    type: z.string().min(1),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});
