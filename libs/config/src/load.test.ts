import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig, parseGatewayConfig, resolveModel, Secret } from './index.js';
import type { Deployment, GatewayConfig } from './index.js';

const SOURCE = '/etc/sy.yaml';

function parse(text: string, env: Record<string, string | undefined> = {}): GatewayConfig {
  return parseGatewayConfig(text, { source: SOURCE, env });
}

function byId(config: GatewayConfig, id: string): Deployment {
  const found = config.deployments.find((deployment) => deployment.id === id);
  if (found === undefined) throw new Error(`no deployment ${id}`);
  return found;
}

function hashId(modelName: string, key: string): string {
  return `${modelName}/${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

const MULTI_PROVIDER = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      rpm: 500
      tpm: 200000
      max_tokens: 1024
      temperature: 0.2
    model_info:
      id: openai-gpt-4o
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-eu
      api_base: https://eu.openai.azure.com
      api_key: os.environ/AZURE_API_KEY
      api_version: "2024-06-01"
      timeout: 30
      stream_timeout: 120
      weight: 2
      extra_headers:
        X-Team: search
    rpm: 100
  - model_name: llama-3-70b
    litellm_params:
      model: groq/llama3-70b-8192
      api_key: gsk-inline-key
      tpm: 6000
      top_p: 0.9
  - model_name: llama-3-8b
    litellm_params:
      model: ollama/llama3
  - model_name: qwen
    litellm_params:
      model: hosted_vllm/Qwen/Qwen2.5-7B-Instruct
      api_base: http://vllm:8000/v1
      max_parallel_requests: 8
  - model_name: mock-chat
    litellm_params:
      model: mock/echo
      mock_response: "hello"
      mock_latency_ms: 50
  - model_name: gpt-4o-mini
    litellm_params:
      model: gpt-4o-mini
router_settings:
  routing_strategy: simple-shuffle
  num_retries: 2
  redis_host: redis.internal
  redis_port: 6380
  redis_password: os.environ/REDIS_PASSWORD
  model_group_alias:
    gpt4: gpt-4o
    internal-llama: { model: llama-3-70b, hidden: true }
general_settings:
  master_key: os.environ/MASTER_KEY
  on_limiter_unavailable: allow
  max_request_body_bytes: 1048576
`;

const ENV = { OPENAI_API_KEY: 'sk-openai-123', AZURE_API_KEY: 'az-456', REDIS_PASSWORD: 'p@ss/word', MASTER_KEY: 'sk-master-789' };

describe('config: LiteLLM format', () => {
  const config = parse(MULTI_PROVIDER, ENV);

  it('config: parses every provider entry into a deployment, in file order', () => {
    expect(config.deployments.map((d) => [d.modelName, d.provider, d.providerModel])).toEqual([
      ['gpt-4o', 'openai', 'gpt-4o'],
      ['gpt-4o', 'azure', 'gpt-4o-eu'],
      ['llama-3-70b', 'groq', 'llama3-70b-8192'],
      ['llama-3-8b', 'ollama', 'llama3'],
      ['qwen', 'hosted_vllm', 'Qwen/Qwen2.5-7B-Instruct'],
      ['mock-chat', 'mock', 'echo'],
      ['gpt-4o-mini', 'openai', 'gpt-4o-mini'],
    ]);
    expect(config.source).toBe(SOURCE);
    expect(config.warnings).toEqual([]);
  });

  it('config: openai entry takes its id, limits and default params', () => {
    const d = byId(config, 'openai-gpt-4o');
    expect(d).toMatchObject({ rpm: 500, tpm: 200000, apiBase: null, apiKeyEnv: null, missingEnv: [], mock: null });
    expect(d.defaultParams).toEqual({ max_tokens: 1024, temperature: 0.2 });
    expect(d.modelInfo).toEqual({ id: 'openai-gpt-4o' });
    expect(d.apiKey?.reveal()).toBe('sk-openai-123');
    expect(d.apiKey?.source).toBe('os.environ/OPENAI_API_KEY');
  });

  it('config: azure entry keeps base, version, timeouts, weight, headers and the top-level rpm', () => {
    const d = byId(config, hashId('gpt-4o', 'azure/gpt-4o-eu|https://eu.openai.azure.com'));
    expect(d).toMatchObject({
      apiBase: 'https://eu.openai.azure.com',
      apiVersion: '2024-06-01',
      timeoutMs: 30_000,
      streamTimeoutMs: 120_000,
      weight: 2,
      rpm: 100,
      tpm: null,
      extraHeaders: { 'X-Team': 'search' },
    });
  });

  it('config: groq, ollama, vllm, mock and bare-name entries', () => {
    const [, , groq, ollama, vllm, mock, bare] = config.deployments;
    expect(groq?.apiKey?.source).toBe('inline');
    expect(groq?.defaultParams).toEqual({ top_p: 0.9 });
    expect(ollama?.apiBase).toBe('http://localhost:11434');
    expect(vllm).toMatchObject({ apiBase: 'http://vllm:8000/v1', maxParallelRequests: 8 });
    expect(mock?.mock).toEqual({ latencyMs: 50, response: 'hello' });
    // No api_key in the file: LiteLLM's standard variable (OPENAI_API_KEY) applies.
    expect(bare).toMatchObject({ provider: 'openai', providerModel: 'gpt-4o-mini', timeoutMs: 600_000, contextWindow: 128_000 });
    expect(bare?.apiKey?.source).toBe('os.environ/OPENAI_API_KEY');
  });

  it('config: groups keep file order and aliases resolve to their group', () => {
    expect([...config.groups.keys()]).toEqual(['gpt-4o', 'llama-3-70b', 'llama-3-8b', 'qwen', 'mock-chat', 'gpt-4o-mini']);
    expect(config.groups.get('gpt-4o')?.map((d) => d.provider)).toEqual(['openai', 'azure']);
    expect([...config.aliases]).toEqual([
      ['gpt4', 'gpt-4o'],
      ['internal-llama', 'llama-3-70b'],
    ]);
    expect(config.router.hiddenAliases).toEqual(['internal-llama']);
    expect(resolveModel(config, 'gpt4')?.group).toBe('gpt-4o');
    expect(resolveModel(config, 'gpt4')?.deployments).toBe(config.groups.get('gpt-4o'));
    expect(resolveModel(config, 'qwen')?.deployments.map((d) => d.provider)).toEqual(['hosted_vllm']);
    expect(resolveModel(config, 'nope')).toBeNull();
  });

  it('config: router and general settings', () => {
    expect(config.router).toMatchObject({ routingStrategy: 'simple-shuffle', numRetries: 2 });
    expect(config.router.redisUrl?.reveal()).toBe('redis://:p%40ss%2Fword@redis.internal:6380');
    expect(config.router.redisUrl?.source).toBe('os.environ/REDIS_PASSWORD');
    expect(config.general.masterKey?.reveal()).toBe('sk-master-789');
    expect(config.general).toMatchObject({ onLimiterUnavailable: 'allow', maxRequestBodyBytes: 1048576 });
  });
});

describe('config: defaults', () => {
  const config = parse('model_list:\n  - model_name: m\n    litellm_params:\n      model: mock/m\n');

  it('config: a minimal file gets the documented defaults', () => {
    expect(config.router).toEqual({
      routingStrategy: 'simple-shuffle',
      routingStrategyArgs: {},
      numRetries: 0,
      redisUrl: null,
      modelGroupAlias: {},
      hiddenAliases: [],
      reliability: expect.objectContaining({ numRetries: 0, maxFallbacks: 5 }) as unknown,
    });
    expect(config.general).toEqual({
      masterKey: null,
      onLimiterUnavailable: 'reject',
      maxRequestBodyBytes: 16 * 1024 * 1024,
      completionTokensEstimate: 256,
      maxJsonDepth: 128,
      http: { headersTimeoutMs: 30_000, bodyTimeoutMs: 60_000, keepAliveTimeoutMs: 72_000, connectionIdleTimeoutMs: null, maxHeaderBytes: 16 * 1024 },
      retention: {
        eventsMaxAgeMs: 24 * 3600 * 1000,
        eventsMaxBytes: 1024 ** 3,
        bodiesMaxAgeMs: 15 * 60 * 1000,
        bodiesMaxBytes: 1024 ** 3,
        cellsMaxBytes: 64 * 1024 ** 2,
        keysMaxBytes: 64 * 1024 ** 2,
      },
    });
    expect(config.deployments[0]).toMatchObject({
      timeoutMs: 600_000,
      streamTimeoutMs: 600_000,
      mock: { latencyMs: 0, response: null },
      defaultParams: {},
      extraHeaders: {},
      modelInfo: {},
    });
  });

  it.each([
    ['redis_url wins', { redis_url: 'rediss://cache:6380/1', redis_host: 'ignored' }, {}, 'rediss://cache:6380/1'],
    ['redis_url from env', { redis_url: 'os.environ/REDIS_URL' }, { REDIS_URL: 'redis://r:1' }, 'redis://r:1'],
    ['host only', { redis_host: 'cache' }, {}, 'redis://cache:6379'],
    ['host and port from env', { redis_host: 'os.environ/RH', redis_port: 'os.environ/RP' }, { RH: 'h', RP: '7000' }, 'redis://h:7000'],
    ['ipv6 host', { redis_host: '::1', redis_port: 6379 }, {}, 'redis://[::1]:6379'],
  ])('config: redis URL, %s', (_name, settings, env, expected) => {
    const text = `model_list: [{ model_name: m, litellm_params: { model: mock/m } }]\nrouter_settings: ${JSON.stringify(settings)}\n`;
    expect(parse(text, env).router.redisUrl?.reveal()).toBe(expected);
  });

  it('config: no path loads the built-in mock config, which needs no keys', () => {
    const builtIn = loadGatewayConfig(undefined, {});
    expect(builtIn.source).toBe('<default>');
    expect(builtIn.deployments.every((d) => d.provider === 'mock')).toBe(true);
    expect([...builtIn.groups.keys()]).toEqual(expect.arrayContaining(['gpt-4o-mini', 'mock-chat', 'text-embedding-3-small']));
    expect(builtIn.aliases.size).toBeGreaterThan(0);
    expect(builtIn.warnings).toEqual([]);
  });

  it('config: loadGatewayConfig reads a file and names it in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-config-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, MULTI_PROVIDER);
    expect(loadGatewayConfig(good, ENV).source).toBe(good);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'model_list: []\n');
    expect(() => loadGatewayConfig(bad, {})).toThrow(`${bad}: model_list: at least one model is required`);
    const missing = join(dir, 'missing.yaml');
    expect(() => loadGatewayConfig(missing, {})).toThrow(new RegExp(`^${missing}: cannot read the file: ENOENT`));
  });
});

describe('config: deployment ids', () => {
  const entry = (model: string, extra = ''): string => `  - model_name: chat\n    litellm_params:\n      model: ${model}\n${extra}`;

  it('config: generated ids hash provider, model and api_base, and are stable across env', () => {
    const text = `model_list:\n${entry('openai/gpt-4o')}${entry('openai/gpt-4o', '      api_base: os.environ/BASE\n')}`;
    const withBase = parse(text, { BASE: 'https://a.example' });
    const withoutBase = parse(text, {});
    expect(withBase.deployments.map((d) => d.id)).toEqual([
      hashId('chat', 'openai/gpt-4o|'),
      hashId('chat', 'openai/gpt-4o|os.environ/BASE'),
    ]);
    expect(withoutBase.deployments.map((d) => d.id)).toEqual(withBase.deployments.map((d) => d.id));
    expect(withoutBase.deployments[1]).toMatchObject({ apiBase: null, missingEnv: ['BASE'] });
  });

  it('config: exact duplicates get #2, #3 in file order', () => {
    const config = parse(`model_list:\n${entry('mock/a')}${entry('mock/a')}${entry('mock/a')}`);
    const base = hashId('chat', 'mock/a|');
    expect(config.deployments.map((d) => d.id)).toEqual([base, `${base}#2`, `${base}#3`]);
  });

  it('config: a generated id never takes an explicit model_info.id, even a later one', () => {
    const base = hashId('chat', 'mock/a|');
    const config = parse(`model_list:\n${entry('mock/a')}${entry('mock/b', `    model_info:\n      id: "${base}"\n`)}`);
    expect(config.deployments.map((d) => d.id)).toEqual([`${base}#2`, base]);
  });

  it('config: a numeric model_info.id becomes a string', () => {
    expect(parse(`model_list:\n${entry('mock/a', '    model_info: { id: 7 }\n')}`).deployments[0]?.id).toBe('7');
  });

  it('config: a duplicate model_info.id is an error naming both entries', () => {
    const text = `model_list:\n${entry('mock/a', '    model_info: { id: x }\n')}${entry('mock/b', '    model_info: { id: x }\n')}`;
    expect(() => parse(text)).toThrow(
      `${SOURCE}: model_list[1].model_info.id: duplicate id "x" (already used by model_list[0].model_info.id)`,
    );
  });
});

describe('config: adaptive routers', () => {
  const DEFAULT_TEACHING = { keys: 'all', maxEvidencePerKey: null, windowSeconds: 3600, constrainedPickWeight: 0, explicitFeedbackWeight: 3 };
  const ROUTERS = `
model_list:
  - model_name: cheap
    litellm_params: { model: mock/cheap, input_cost_per_token: 0.0000001 }
    model_info:
      adaptive_router_preferences: { quality_tier: 1, strengths: [factual_lookup] }
  - model_name: frontier
    litellm_params: { model: mock/frontier }
    model_info:
      input_cost_per_token: 0.00001
      adaptive_router_preferences: { quality_tier: 3, strengths: [code_generation, technical_design] }
  - model_name: smart
    litellm_params:
      model: auto_router/adaptive_router
      adaptive_router_config:
        available_models: [cheap, frontier]
        weights: { quality: 0.8, cost: 0.2 }
  - model_name: learned
    litellm_params:
      model: adaptive_router/learned
      adaptive_router_config: { available_models: [frontier], exploration_rate: 0.5 }
  - model_name: semantic
    litellm_params: { model: auto_router/semantic, auto_router_config_path: router.json }
`;

  it('config: adaptive routers are parsed with their candidates, tiers, strengths, costs and weights', () => {
    const config = parse(ROUTERS);
    expect(config.deployments.map((d) => d.modelName)).toEqual(['cheap', 'frontier']);
    expect(config.routers).toEqual([
      {
        name: 'smart',
        models: [
          { name: 'cheap', tier: 1, strengths: ['factual_lookup'], costPerToken: 0.0000001 },
          { name: 'frontier', tier: 3, strengths: ['code_generation', 'technical_design'], costPerToken: 0.00001 },
        ],
        weights: { quality: 0.8, cost: 0.2 },
        explorationRate: 1,
        objective: { kind: 'weighted' },
        teaching: DEFAULT_TEACHING,
      },
      {
        name: 'learned',
        models: [{ name: 'frontier', tier: 3, strengths: ['code_generation', 'technical_design'], costPerToken: 0.00001 }],
        weights: { quality: 0.7, cost: 0.3 },
        explorationRate: 0.5,
        objective: { kind: 'weighted' },
        teaching: DEFAULT_TEACHING,
      },
    ]);
    expect(config.warnings).toEqual(['ignoring unsupported routers: model_list[4] ("semantic": auto_router/semantic, only auto_router/adaptive_router is supported)']);
    expect(resolveModel(config, 'smart')).toBeNull();
  });

  it.each([
    ['an unknown available model', 'available_models: [cheap, nope]', 'model_list[2].litellm_params.adaptive_router_config.available_models[1]: "nope" is not a model_name in model_list'],
    ['weights that do not sum to 1', 'available_models: [cheap]\n        weights: { quality: 0.5, cost: 0.6 }', 'model_list[2].litellm_params.adaptive_router_config.weights: quality and cost must sum to 1'],
    ['a weight out of range', 'available_models: [cheap]\n        weights: { quality: 1.5, cost: -0.5 }', 'model_list[2].litellm_params.adaptive_router_config.weights.quality'],
    ['no models', 'available_models: []', 'model_list[2].litellm_params.adaptive_router_config.available_models: name at least one model'],
    ['an unknown objective', 'available_models: [cheap]\n        objective: cheapest', 'model_list[2].litellm_params.adaptive_router_config.objective'],
    ['a tolerance without its objective', 'available_models: [cheap]\n        quality_tolerance: 0.1', 'model_list[2].litellm_params.adaptive_router_config.quality_tolerance: quality_tolerance applies only to objective: cheapest_within'],
    ['a tolerance out of range', 'available_models: [cheap]\n        objective: cheapest_within\n        quality_tolerance: 2', 'model_list[2].litellm_params.adaptive_router_config.quality_tolerance'],
    ['an unknown teaching key', 'available_models: [cheap]\n        teaching: { keys: all, trust: 1 }', 'model_list[2].litellm_params.adaptive_router_config.teaching'],
    ['a non-positive cap', 'available_models: [cheap]\n        teaching: { max_evidence_per_key: 0 }', 'model_list[2].litellm_params.adaptive_router_config.teaching.max_evidence_per_key'],
  ])('config: a router with %s is an error naming the field', (_case, settings, message) => {
    const text = `
model_list:
  - model_name: cheap
    litellm_params: { model: mock/cheap }
  - model_name: tiered
    litellm_params: { model: mock/tiered }
    model_info: { adaptive_router_preferences: { quality_tier: 2 } }
  - model_name: smart
    litellm_params:
      model: auto_router/adaptive_router
      adaptive_router_config:
        ${settings}
`;
    expect(() => parse(text)).toThrow(message);
  });

  it('config: a router may choose its objective and teaching policy', () => {
    const text = ROUTERS.replace(
      'weights: { quality: 0.8, cost: 0.2 }',
      'objective: cheapest_within\n        quality_tolerance: 0.1\n        teaching: { keys: [key_0123456789abcdef], max_evidence_per_key: 12, window_seconds: 600, constrained_pick_weight: 0.25 }',
    );
    expect(parse(text).routers[0]).toMatchObject({
      objective: { kind: 'cheapest_within', qualityTolerance: 0.1 },
      teaching: { keys: ['key_0123456789abcdef'], maxEvidencePerKey: 12, windowSeconds: 600, constrainedPickWeight: 0.25 },
    });
  });

  it('config: a tier out of range is an error naming the model', () => {
    const text = ROUTERS.replace('quality_tier: 1', 'quality_tier: 4');
    expect(() => parse(text)).toThrow('quality_tier must be 1, 2 or 3');
  });
});

describe('config: secrets', () => {
  it('config: a resolved secret never appears in JSON.stringify or util.inspect', async () => {
    const { inspect } = await import('node:util');
    const config = parse(MULTI_PROVIDER, ENV);
    for (const printed of [JSON.stringify(config), inspect(config, { depth: null }), String(config.general.masterKey)]) {
      for (const value of [...Object.values(ENV), 'gsk-inline-key', 'p%40ss%2Fword']) expect(printed).not.toContain(value);
    }
    expect(config.deployments[0]?.apiKey).toBeInstanceOf(Secret);
    expect(inspect(config.general.masterKey)).toBe('[secret from os.environ/MASTER_KEY]');
  });
});
