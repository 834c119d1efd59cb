import { describe, expect, it } from 'vitest';
import { ConfigError, deploymentFor, listedModels, parseGatewayConfig, resolveModel } from './index.js';
import type { GatewayConfig } from './index.js';
import { AZURE_DEFAULT_API_VERSION } from './provider-env.js';

const SOURCE = '/etc/litellm.yaml';

function parse(text: string, env: Record<string, string | undefined> = {}): GatewayConfig {
  return parseGatewayConfig(text, { source: SOURCE, env });
}

function refusal(text: string, env: Record<string, string | undefined> = {}): ConfigError {
  try {
    parse(text, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config: YAML as PyYAML reads it', () => {
  it('config: 20_000 is a number and yes/on are booleans (YAML 1.1)', () => {
    const config = parse(`
model_list:
  - model_name: a
    litellm_params: { model: openai/gpt-4o, tpm: 20_000, rpm: 1_000, drop_params: yes }
litellm_settings:
  set_verbose: on
`);
    expect(config.deployments[0]).toMatchObject({ tpm: 20_000, rpm: 1_000, dropParams: true });
    expect(config.litellm.setVerbose).toBe(true);
  });

  it('config: floats need a dot, as in PyYAML: e500 and 1e5 stay names, 1.5e+3 and .5 are numbers', () => {
    const config = parse(`
model_list:
  - model_name: e500
    litellm_params: { model: mock/e500, temperature: .5 }
  - model_name: 1e5
    litellm_params: { model: mock/x, timeout: 1.5e+3 }
`);
    expect(config.deployments.map((d) => [d.modelName, d.defaultParams.temperature ?? d.timeoutMs])).toEqual([
      ['e500', 0.5],
      ['1e5', 1_500_000],
    ]);
  });

  it('config: an unquoted date api_version is read back as the text Azure wants', () => {
    const config = parse('model_list:\n  - model_name: a\n    litellm_params: { model: azure/x, api_base: "https://x.openai.azure.com", api_version: 2024-02-01 }\n');
    expect(config.deployments[0]?.apiVersion).toBe('2024-02-01');
  });

  it('config: a repeated key keeps the last value, with a warning naming it and its lines', () => {
    const config = parse(`
model_list:
  - model_name: a
    litellm_params: { model: mock/a }
general_settings:
  max_request_body_bytes: 100
  max_request_body_bytes: 200
`);
    expect(config.general.maxRequestBodyBytes).toBe(200);
    expect(config.warnings).toContain('general_settings.max_request_body_bytes: given twice (lines 6 and 7); the last value is used, as LiteLLM does');
  });
});

describe('config: routing strategies', () => {
  it.each(['least-busy', 'usage-based-routing', 'usage-based-routing-v2', 'cost-based-routing'])(
    'config: %s runs: a note says what it decides by, and args it does not read are warned about',
    (strategy) => {
      const config = parse(`
model_list: [{ model_name: a, litellm_params: { model: mock/a, tpm: 100 } }]
router_settings: { routing_strategy: ${strategy}, routing_strategy_args: { ttl: 10 } }
`);
      expect(config.router.routingStrategy).toBe(strategy);
      expect(config.router.routingStrategyArgs).toEqual({ ttl: 10 });
      expect(config.notes).toContainEqual(expect.stringContaining(`"${strategy}" picks the deployment with`));
      expect(config.warnings.filter((warning) => warning.includes('routing_strategy'))).toEqual([
        `router_settings.routing_strategy_args: ttl not used by "${strategy}"`,
      ]);
    },
  );

  it('config: latency-based-routing reads ttl and lowest_latency_buffer, and warns about any other arg', () => {
    const config = parse(`
model_list: [{ model_name: a, litellm_params: { model: mock/a } }]
router_settings: { routing_strategy: latency-based-routing, routing_strategy_args: { ttl: 10, lowest_latency_buffer: 0.1, max_latency_list_size: 5 } }
`);
    expect(config.warnings).toEqual([
      'router_settings.routing_strategy_args: max_latency_list_size not used by "latency-based-routing" (it reads ttl, lowest_latency_buffer)',
    ]);
  });

  it('config: simple-shuffle gets no warning, and limits get the one cluster-wide note', () => {
    const config = parse('model_list: [{ model_name: a, litellm_params: { model: mock/a, rpm: 5 } }]\n');
    expect(config.warnings).toEqual([]);
    expect(config.notes).toEqual([expect.stringMatching(/^rpm\/tpm are enforced as cluster-wide limits.*LiteLLM's default strategy only weights/)]);
    expect(parse('model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\n').notes).toEqual([]);
  });
});

const WILDCARDS = `
model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_key: sk-exact }
  - model_name: "openai/*"
    litellm_params: { model: "openai/*", api_key: sk-prefixed, tpm: 1000 }
  - model_name: "*"
    litellm_params: { model: "openai/*", api_key: sk-any }
  - model_name: "fo::*:static::*"
    litellm_params: { model: "openai/fo::*:static::*", api_key: sk-fo }
`;

describe('config: wildcard routes', () => {
  const config = parse(WILDCARDS);

  it('config: wildcard entries are routes, not groups named "*"', () => {
    expect([...config.groups.keys()]).toEqual(['gpt-4o']);
    expect([...config.wildcards.keys()]).toEqual(['fo::*:static::*', 'openai/*', '*']);
  });

  it.each([
    ['gpt-4o', 'gpt-4o', 'gpt-4o', 'sk-exact'],
    ['openai/gpt-4.1-mini', 'openai/*', 'gpt-4.1-mini', 'sk-prefixed'],
    ['gpt-5-mini', '*', 'gpt-5-mini', 'sk-any'],
    ['fo::hi:static::there', 'fo::*:static::*', 'fo::hi:static::there', 'sk-fo'],
  ])('config: %s resolves to route %s, model %s', (name, group, providerModel, key) => {
    const resolved = resolveModel(config, name);
    expect(resolved?.group).toBe(group);
    expect(resolved?.deployments.map((deployment) => deployment.providerModel)).toEqual([providerModel]);
    expect(resolved?.deployments[0]?.apiKey?.reveal()).toBe(key);
  });

  it('config: a wildcard deployment keeps its route id and limits, and gets the model context window from the catalogue', () => {
    const [deployment] = resolveModel(config, 'openai/gpt-4o-mini')?.deployments ?? [];
    const route = config.wildcards.get('openai/*')?.[0];
    expect(deployment).toMatchObject({ id: route?.id, tpm: 1000, contextWindow: 128_000, maxOutputTokens: 16_384 });
    expect(deploymentFor(config, route!.id, 'openai/gpt-4o-mini')?.providerModel).toBe('gpt-4o-mini');
    expect(deploymentFor(config, config.groups.get('gpt-4o')![0]!.id, 'gpt-4o')?.providerModel).toBe('gpt-4o');
  });

  it('config: a bare "*" route does not serve another vendor\'s model with its key', () => {
    const bare = parse('model_list:\n  - model_name: "*"\n    litellm_params: { model: "*", api_key: os.environ/OPENAI_API_KEY }\n');
    expect(resolveModel(bare, 'gpt-4o')?.deployments[0]?.providerModel).toBe('gpt-4o');
    expect(resolveModel(bare, 'claude-3-5-sonnet-20241022')).toBeNull();
    expect(resolveModel(bare, 'groq/llama3-8b-8192')).toBeNull();
  });

  it('config: /v1/models lists what the routes serve, never the pattern, and every listed name resolves', () => {
    const names = listedModels(config);
    expect(names).toContain('gpt-4o');
    expect(names).toContain('openai/gpt-4o-mini');
    expect(names).toContain('gpt-4.1');
    expect(names.some((name) => name.includes('*'))).toBe(false);
    for (const name of names) expect(resolveModel(config, name), name).not.toBeNull();
  });

  it('config: anthropic/* is a wildcard route of the anthropic provider, keyed by ANTHROPIC_API_KEY', () => {
    const config = parse('model_list:\n  - model_name: "anthropic/*"\n    litellm_params: { model: "anthropic/*" }\n', { ANTHROPIC_API_KEY: 'sk-ant-test' });
    const deployment = resolveModel(config, 'anthropic/claude-sonnet-4-5')?.deployments[0];
    expect(deployment).toMatchObject({ provider: 'anthropic', providerModel: 'claude-sonnet-4-5', apiKeyEnv: null });
    expect(deployment?.apiKey?.reveal()).toBe('sk-ant-test');
  });

  it('config: a claude-* route serves every model name Claude Code asks for', () => {
    const config = parse('model_list:\n  - model_name: "claude-*"\n    litellm_params: { model: "anthropic/claude-*" }\n', { ANTHROPIC_API_KEY: 'sk-ant-test' });
    expect(resolveModel(config, 'claude-sonnet-4-5-20250929')?.deployments[0]).toMatchObject({ provider: 'anthropic', providerModel: 'claude-sonnet-4-5-20250929' });
  });
});

describe('config: hidden models', () => {
  it('config: model_info.hidden and hidden aliases resolve but are not listed', () => {
    const config = parse(`
model_list:
  - model_name: public
    litellm_params: { model: mock/a }
  - model_name: internal
    litellm_params: { model: mock/b }
    model_info: { hidden: true }
router_settings:
  model_group_alias: { secret-alias: { model: public, hidden: true }, open-alias: public }
`);
    expect(listedModels(config)).toEqual(['public', 'open-alias']);
    expect(resolveModel(config, 'internal')?.group).toBe('internal');
    expect(resolveModel(config, 'secret-alias')?.group).toBe('public');
  });
});

describe('config: keys, endpoints and versions from the standard variables', () => {
  const file = `
model_list:
  - model_name: o
    litellm_params: { model: openai/gpt-4o }
  - model_name: az
    litellm_params: { model: azure/gpt-4o-deployment }
  - model_name: g
    litellm_params: { model: groq/llama3-8b-8192 }
  - model_name: t
    litellm_params: { model: together_ai/meta-llama/Llama-3-8b }
  - model_name: d
    litellm_params: { model: deepseek/deepseek-chat }
  - model_name: m
    litellm_params: { model: mistral/mistral-large-latest }
`;
  const env = {
    OPENAI_API_KEY: 'sk-o',
    OPENAI_API_BASE: 'https://openai-proxy.internal/v1',
    AZURE_API_KEY: 'az-k',
    AZURE_API_BASE: 'https://eu.openai.azure.com',
    GROQ_API_KEY: 'gsk',
    TOGETHERAI_API_KEY: 'tg',
    DEEPSEEK_API_KEY: 'ds',
    MISTRAL_API_KEY: 'ms',
  };

  it('config: each provider takes LiteLLM\'s variables when the file names none', () => {
    const byName = new Map(parse(file, env).deployments.map((deployment) => [deployment.modelName, deployment]));
    expect(byName.get('o')).toMatchObject({ apiBase: 'https://openai-proxy.internal/v1', apiVersion: null });
    expect(byName.get('o')?.apiKey?.source).toBe('os.environ/OPENAI_API_KEY');
    expect(byName.get('az')).toMatchObject({ apiBase: 'https://eu.openai.azure.com', apiVersion: AZURE_DEFAULT_API_VERSION, missingEnv: [] });
    expect(byName.get('az')?.apiKey?.reveal()).toBe('az-k');
    expect(byName.get('g')?.apiKey?.reveal()).toBe('gsk');
    expect(byName.get('t')?.apiKey?.source).toBe('os.environ/TOGETHERAI_API_KEY');
    expect(byName.get('d')?.apiKey?.reveal()).toBe('ds');
    expect(byName.get('m')?.apiKey?.reveal()).toBe('ms');
  });

  it('config: AZURE_API_VERSION wins over the default, and the file wins over both', () => {
    const versions = parse(`${file}  - model_name: az2\n    litellm_params: { model: azure/x, api_version: "2024-06-01" }\n`, {
      ...env,
      AZURE_API_VERSION: '2024-10-21',
    }).deployments.filter((deployment) => deployment.provider === 'azure');
    expect(versions.map((deployment) => deployment.apiVersion)).toEqual(['2024-10-21', '2024-06-01']);
  });

  it('config: without the variables the file still loads (the ingress holds no keys); azure calls fail naming AZURE_API_BASE', () => {
    const config = parse(file);
    const azure = config.deployments.find((deployment) => deployment.provider === 'azure');
    expect(azure).toMatchObject({ apiBase: null, apiKey: null, missingEnv: ['AZURE_API_BASE'] });
    expect(config.warnings).toContain(
      'model_list[1].litellm_params.api_base: not set, and neither is AZURE_API_BASE in this process: calls to this azure deployment fail until one is',
    );
  });

  it('config: environment_variables of the file are seen by references and defaults, as LiteLLM sets them', () => {
    const config = parse('model_list: [{ model_name: o, litellm_params: { model: openai/gpt-4o } }]\nenvironment_variables: { OPENAI_API_KEY: sk-file }\n');
    expect(config.deployments[0]?.apiKey?.reveal()).toBe('sk-file');
  });
});

describe('config: credential_list', () => {
  it('config: a named credential fills key, base and version; the entry\'s own values win', () => {
    const config = parse(
      `
credential_list:
  - credential_name: azure_eu
    credential_values: { api_key: os.environ/AZURE_EU_KEY, api_base: "https://eu.openai.azure.com", api_version: "2024-06-01" }
    credential_info: { description: EU }
model_list:
  - model_name: a
    litellm_params: { model: azure/gpt-4o, litellm_credential_name: azure_eu }
  - model_name: b
    litellm_params: { model: azure/gpt-4o, litellm_credential_name: azure_eu, api_version: "2025-01-01" }
`,
      { AZURE_EU_KEY: 'eu-key' },
    );
    const [a, b] = config.deployments;
    expect(a).toMatchObject({ apiBase: 'https://eu.openai.azure.com', apiVersion: '2024-06-01' });
    expect(a?.apiKey?.reveal()).toBe('eu-key');
    expect(b?.apiVersion).toBe('2025-01-01');
  });
});

describe('config: litellm_settings', () => {
  it('config: num_retries, request_timeout and drop_params are honoured; router_settings and the entry win', () => {
    const config = parse(`
model_list:
  - model_name: a
    litellm_params: { model: mock/a }
  - model_name: b
    litellm_params: { model: mock/b, timeout: 5, drop_params: false }
litellm_settings: { num_retries: 3, request_timeout: 30, drop_params: true, set_verbose: false }
`);
    expect(config.router.numRetries).toBe(3);
    expect(config.deployments.map((deployment) => [deployment.timeoutMs, deployment.dropParams])).toEqual([
      [30_000, true],
      [5_000, false],
    ]);
    expect(config.litellm).toEqual({ dropParams: true, setVerbose: false, requestTimeoutMs: 30_000 });
    expect(parse('model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\nrouter_settings: { num_retries: 1 }\nlitellm_settings: { num_retries: 3 }\n').router.numRetries).toBe(1);
    const both = parse('model_list: [{ model_name: a, litellm_params: { model: mock/a } }]\nrouter_settings: { timeout: 7 }\nlitellm_settings: { request_timeout: 30 }\n');
    expect(both.deployments[0]?.timeoutMs).toBe(7_000);
  });
});

describe('config: hosts an operator can reach', () => {
  it.each([
    'http://nomic-embed-v1.5:8080/v1',
    'http://qwen2.5:8000/v1',
    'http://vllm-0.5/v1',
    'http://[::1]:8000/v1',
    'http://[fd00::12]:11434',
    'https://10.0.0.7:8443/v1',
    'http://my_service.internal:80',
  ])('config: api_base %s is accepted', (base) => {
    expect(parse(`model_list: [{ model_name: a, litellm_params: { model: hosted_vllm/m, api_base: "${base}" } }]\n`).deployments[0]?.apiBase).toBe(base);
  });

  it.each(['ftp://x/v1', 'http://', 'http://a b/v1', 'http://-bad-/v1', 'http://[zz::1]/', 'http://host:99999/'])('config: api_base %s is refused', (base) => {
    expect(refusal(`model_list: [{ model_name: a, litellm_params: { model: hosted_vllm/m, api_base: "${base}" } }]\n`).problems).toEqual([
      `model_list[0].litellm_params.api_base: "${base}" is not an http(s) URL`,
    ]);
  });
});

describe('config: context windows', () => {
  it('config: from the catalogue, from Azure\'s base_model, and model_info overrides', () => {
    const config = parse(`
model_list:
  - model_name: a
    litellm_params: { model: openai/gpt-4o }
  - model_name: b
    litellm_params: { model: azure/my-deployment, api_base: "https://x.openai.azure.com" }
    model_info: { base_model: gpt-4o-mini }
  - model_name: c
    litellm_params: { model: hosted_vllm/qwen, api_base: "http://qwen2.5:8000/v1" }
    model_info: { max_input_tokens: 32768, max_output_tokens: 4096 }
  - model_name: d
    litellm_params: { model: ollama/llama3 }
`);
    expect(config.deployments.map((deployment) => [deployment.contextWindow, deployment.maxOutputTokens])).toEqual([
      [128_000, 16_384],
      [128_000, 16_384],
      [32_768, 4096],
      [null, null],
    ]);
  });
});
