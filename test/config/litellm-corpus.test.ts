import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, listedModels, parseGatewayConfig, resolveModel } from '@switchyard/config';
import type { GatewayConfig } from '@switchyard/config';

/**
 * Real LiteLLM proxy configs from public repositories (each file names its
 * source on its first line), and what LiteLLM does with each: the groups it
 * serves, with provider, model and endpoint, or the provider Switchyard
 * cannot call yet. Switchyard must read each the same way or refuse it naming
 * that provider; nothing may load differently.
 *
 * LiteLLM's reading, applied by hand here: a `provider/` prefix names the
 * provider; a bare name is its vendor's (OpenAI's when no vendor claims it);
 * no api_key/api_base means the provider's standard variables; ollama defaults
 * to http://localhost:11434; Azure without api_version gets LiteLLM's default.
 */

const DIR = new URL('../fixtures/litellm-configs/', import.meta.url);

/** `provider/model @ api_base` per group, or the providers that must be named in the refusal. */
type Expected =
  | { groups: Record<string, string[]>; check?: (config: GatewayConfig) => void }
  | { refused: string[]; otherProblems?: string[]; warns?: string[] };

const EXPECTED: Record<string, Expected> = {
  '1aboveio-litellm-deploy.yaml': {
    groups: {
      "gpt-5.4-mini": ["openai/gpt-5.4-mini"],
      "gpt-4o": ["openai/gpt-4o"],
      "gpt-4o-mini": ["openai/gpt-4o-mini"],
      "claude-sonnet-4-20250514": ["anthropic/claude-sonnet-4-20250514"],
    },
  },
  'abbiirr-unified-llm-api.yaml': { refused: ["gemini","github"] },
  // litellm_settings is given twice: the last wins, as in PyYAML, and it is said.
  'adarshyadav04-litellm_proxy_gateway.yaml': {
    groups: {
      "gpt-4o": ["openai/gpt-4o"],
      "claude-sonnet": ["anthropic/claude-sonnet-4-5-20250929"],
      "groq-llama": ["groq/llama-3.3-70b-versatile"],
      "groq-mixtral": ["groq/mixtral-8x7b-32768"],
      "groq-gpt-oss-120b": ["groq/openai/gpt-oss-120b"],
    },
    check: (config) => expect(config.warnings.join('\n')).toContain('litellm_settings: given twice (lines 28 and 38)'),
  },
  'aihpi-tool-litellm.yaml': {
    groups: {
      "dummy-embedding": ["openai/dummy-embedding @ http://localhost:9999/v1"],
    },
  },
  'ajayadahal-llm_gateway.yaml': {
    groups: {
      "deepseek-r1-32b": ["ollama/deepseek-r1:32b @ http://ollama:11434"],
      "deepseek-v2-16b": ["ollama/deepseek-v2:16b @ http://ollama:11434"],
      "deepseek-r1-70b": ["ollama/deepseek-r1:70b @ http://ollama:11434"],
      "llama3-8b": ["ollama/llama3.3:latest @ http://ollama:11434"],
      "github-fallback": ["openai/gpt-4o @ https://models.inference.ai.azure.com"],
    },
    check: (config) => {
      expect([config.router.numRetries, config.litellm.dropParams, config.deployments[0]?.timeoutMs]).toEqual([2, true, 120_000]);
      // litellm_settings.fallbacks are honoured, as LiteLLM honours them.
      expect(config.router.reliability.fallbacks['deepseek-r1-32b']).toEqual(['github-fallback']);
      expect(config.warnings.join('\n')).not.toContain('litellm_settings.fallbacks');
    },
  },
  'ancoren-free-llm-gateway.yaml': { refused: ["gemini"] },
  'arukast-ai-stack.yaml': { refused: ['gemini'], warns: ['general_settings.read_timeout'] },
  'asuopenclaw-llms.yaml': {
    groups: {
      "qwen3-14b": ["ollama/qwen3:14b @ http://192.0.2.10:11434"],
      "whisper": ["openai/whisper-1 @ http://192.0.2.10:8014/v1"],
    },
  },
  'baseddesi-nvidia-proxy.yaml': { refused: ["nvidia"] },
  // A repeated general_settings key is a warning, not a refusal (PyYAML keeps the last).
  'berriai-example_litellm_gcp_cloud_run.yaml': { refused: ['vertex_ai', 'publishers'], warns: ['general_settings.store_model_in_db: given twice', 'agents'] },
  // Bedrock in us-west-2 by aws_region_name; the empty aws_access_key_id / aws_secret_access_key are unset,
  // as an empty variable is, so the standard AWS variables sign the calls.
  'chenxqdu-litellm-ecs.yaml': {
    groups: {
      "bedrock-claude-v3-sonnet-user1": ["bedrock/anthropic.claude-3-sonnet-20240229-v1:0 @ https://bedrock-runtime.us-west-2.amazonaws.com"],
      "bedrock-claude-v3-haiku-user2": ["bedrock/anthropic.claude-3-haiku-20240307-v1:0 @ https://bedrock-runtime.us-west-2.amazonaws.com"],
    },
    check: (config) => {
      expect(config.deployments.map((d) => [d.rpm, d.aws?.region, d.aws?.accessKeyId])).toEqual([[3, 'us-west-2', null], [5, 'us-west-2', null]]);
      expect(config.warnings).toEqual([]);
    },
  },
  'cirisai-cirisproxy.yaml': {
    groups: {
      "llama-4-maverick": ["together_ai/meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8"],
      "groq/llama-4-maverick": ["groq/meta-llama/llama-4-maverick-17b-128e-instruct"],
      "openrouter/llama-4-maverick": ["openrouter/meta-llama/llama-4-maverick"],
      "gpt-oss-20b": ["together_ai/openai/gpt-oss-20b"],
      "openai/gpt-4o-mini": ["openai/gpt-4o-mini"],
      "openai/gpt-4o": ["openai/gpt-4o"],
    },
    // The openrouter entry names its key; the fallbacks chain through it.
    check: (config) => {
      expect(config.groups.get('openrouter/llama-4-maverick')?.[0]?.apiKey?.reveal()).toBe('value-of-OPENROUTER_API_KEY');
      expect(config.router.reliability.fallbacks['groq/llama-4-maverick']).toEqual(['openrouter/llama-4-maverick', 'llama-4-maverick']);
    },
  },
  // litellm_params names no model: LiteLLM's router cannot load it either.
  'cyspiegel-llm-service.yaml': { refused: [], otherProblems: ['model_list[0].litellm_params.model: required (string)'] },
  'diwas2055-gatelaya.yaml': {
    groups: {
      "dummy-openai": ["openai/gpt-4o-mini"],
    },
  },
  'durandom-agentllm.yaml': { refused: ["agno","gemini"] },
  'hefty111-local-lab.yaml': {
    groups: {
      "fake-gpt-4": ["openai/fake-gpt-4 @ http://mock-llm:8090/v1"],
    },
  },
  'idinsight-ask-a-question.yaml': {
    groups: {
      "embeddings": ["openai/text-embedding-ada-002"],
      "default": ["openai/gpt-4-0125-preview"],
      "summarize": ["openai/gpt-4-0125-preview"],
      "detect-language": ["openai/gpt-3.5-turbo-1106"],
      "translate": ["openai/gpt-3.5-turbo-1106"],
      "paraphrase": ["openai/gpt-3.5-turbo-1106"],
      "safety": ["openai/gpt-3.5-turbo-1106"],
      "alignscore": ["openai/gpt-3.5-turbo-1106"],
    },
    // litellm_settings.num_retries and request_timeout are honoured.
    check: (config) => {
      expect(config.router.numRetries).toBe(2);
      expect(config.deployments.every((d) => d.timeoutMs === 100_000)).toBe(true);
      expect(config.warnings).toEqual([]);
    },
  },
  'keith-decker-litellm-example.yaml': {
    groups: {
      "gpt-4.1": ["openai/gpt-4-turbo-preview"],
      "ollama/llama3.2:latest": ["ollama/llama3.2:latest @ http://localhost:11434"],
    },
  },
  'litellm-aliases_config.yaml': {
    groups: {
      "text-davinci-003": ["ollama/zephyr @ http://localhost:11434"],
      "gpt-4": ["ollama/llama2 @ http://localhost:11434"],
      "gpt-3.5-turbo": ["ollama/llama2 @ http://localhost:11434"],
    },
  },
  'litellm-azure_config.yaml': {
    groups: {
      "gpt-4-team1": ["azure/chatgpt-v-2 @ https://openai-gpt-4-test-v-1.openai.azure.com/"],
      "gpt-4-team2": ["azure/gpt-4 @ https://openai-gpt-4-test-v-2.openai.azure.com/"],
    },
    // tpm: 20_000 is YAML 1.1 for 20000; Azure without api_version gets LiteLLM's default.
    check: (config) => {
      expect(config.deployments.map((d) => [d.tpm, d.timeoutMs, d.streamTimeoutMs, d.apiVersion])).toEqual([
        [20_000, 5_000, 500, '2023-05-15'],
        [100_000, 5_000, 500, '2025-02-01-preview'],
      ]);
      expect(config.warnings.join('\n')).toContain('model_list[0].litellm_params.max_retries');
      expect(config.notes).toEqual([expect.stringContaining('cluster-wide limits')]);
    },
  },
  'litellm-azure_config_with_tpm.yaml': {
    groups: {
      "gpt-3.5-turbo": ["azure/gpt-35-1 @ https://my-endpoint-canada-berri992.openai.azure.com/", "azure/gpt-35-2 @ https://my-endpoint-europe-berri-992.openai.azure.com/"],
    },
    check: (config) => expect(config.deployments.map((d) => d.tpm)).toEqual([80_000, 80_000]),
  },
  // usage-based-routing-v2 runs: only the providers stop this file.
  'litellm-china_domestic_free_sources.yaml': { refused: ['siliconflow', 'zhipu'], warns: ['router_settings.fallbacks'] },
  'litellm-health_check_test_config.yaml': {
    groups: {
      "text-embedding-ada-002": ["azure/azure-embedding-model @ http://azure_api_base.internal:8080"],
    },
  },
  // "mistralai/..." has no LiteLLM provider prefix either: LiteLLM fails it at call time.
  'litellm-load_balancer.yaml': { refused: ['mistralai'] },
  'litellm-macos_optimized_config.yaml': { refused: ["gemini"] },
  'litellm-multi_instance_simple_config.yaml': {
    groups: {
      "fake-openai-endpoint": ["openai/my-fake-model @ http://fake_openai_api_base.internal:8080"],
    },
  },
  // The Bedrock entry is an inference profile with batch-only settings (s3_*, aws_batch_role_arn): chat is
  // served, and the batch keys are reported with every other key it ignores, litellm_settings' contents by path.
  'litellm-oai_misc_config.yaml': {
    groups: {
      "gpt-5-mini-end-user-test": ["openai/gpt-5-mini"],
      "bedrock/batch-us.anthropic.claude-haiku-4-5-20251001-v1:0": ["bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0 @ https://bedrock-runtime.us-west-2.amazonaws.com"],
    },
    check: (config) => {
      const warnings = config.warnings.join('\n');
      for (const key of ['litellm_settings.default_team_settings', 'finetune_settings', 'model_list[0].litellm_params.region_name', 'model_list[4].litellm_params.aws_batch_role_arn', 'model_list[4].litellm_params.s3_secret_access_key']) {
        expect(warnings).toContain(key);
      }
      expect([...config.wildcards.keys()]).toEqual(['anthropic/*', 'groq/*', '*']);
    },
  },
  // LiteLLM serves the Cohere entry on /rerank, which Switchyard does not have: it loads as a Cohere deployment of that model.
  'litellm-otel_test_config.yaml': {
    groups: {
      "fake-openai-endpoint": ["openai/fake @ https://exampleopenaiendpoint-production.up.railway.app/", "openai/fake @ https://exampleopenaiendpoint-production.up.railway.app/"],
      "rerank-english-v3.0": ["cohere/rerank-english-v3.0"],
      "llava-hf": ["openai/llava-hf/llava-v1.6-vicuna-7b-hf @ http://localhost:8000"],
    },
    check: (config) => {
      expect(config.groups.get('rerank-english-v3.0')?.[0]?.apiKey?.reveal()).toBe('value-of-COHERE_API_KEY');
      expect(config.warnings.join('\n')).toContain('guardrails');
    },
  },
  'litellm-queue.yaml': {
    groups: {
      "gpt-3.5-turbo": ["openai/gpt-3.5-turbo", "azure/chatgpt-v-2 @ https://openai-gpt-4-test-v-1.openai.azure.com/"],
    },
    // An empty api_key means the standard variable, as in LiteLLM; the unquoted api_version is text.
    check: (config) => expect(config.deployments.map((d) => d.apiVersion)).toEqual([null, '2023-07-01-preview']),
  },
  'litellm-simple_config.yaml': {
    groups: {
      "gpt-3.5-turbo": ["openai/gpt-5-mini"],
    },
  },
  'litellm-spend_tracking_config.yaml': {
    groups: {
      "fake-openai-endpoint": ["openai/gpt-5-mini @ http://fake_openai_api_base.internal:8080"],
    },
  },
  'litellm-store_model_db_config.yaml': {
    groups: {
      "fake-openai-endpoint": ["openai/my-fake-model @ http://fake_openai_api_base.internal:8080"],
    },
  },
  // Two wildcard routes: any claude goes to Anthropic, any other name to OpenAI, each with its standard key.
  'roxlukas-ai_stack.yaml': {
    groups: {},
    check: (config) => {
      expect(resolveModel(config, 'anthropic/claude-sonnet-4-5')?.deployments[0]).toMatchObject({ provider: 'anthropic', providerModel: 'claude-sonnet-4-5' });
      expect(resolveModel(config, 'openai/gpt-4o')?.deployments[0]).toMatchObject({ provider: 'openai', providerModel: 'gpt-4o' });
    },
  },
  'vishrutsingh-localdistill.yaml': {
    groups: {
      "gpt-4o": ["openai/gpt-4o"],
      "gpt-4o-mini": ["openai/gpt-4o-mini"],
      "claude-sonnet-4-20250514": ["anthropic/claude-sonnet-4-20250514"],
    },
  },
};

/** Every `os.environ/NAME` the file names is set, as on the operator's machine. */
function environmentFor(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, name] of text.matchAll(/os\.environ\/([A-Za-z_][A-Za-z0-9_]*)/g)) {
    env[name!] = /PORT$/.test(name!) ? '6379' : /(BASE|URL)$/.test(name!) ? `http://${name!.toLowerCase()}.internal:8080` : `value-of-${name}`;
  }
  return env;
}

function read(file: string): { text: string; config: GatewayConfig | null; error: ConfigError | null } {
  const text = readFileSync(new URL(file, DIR), 'utf8');
  try {
    return { text, config: parseGatewayConfig(text, { source: file, env: environmentFor(text) }), error: null };
  } catch (error) {
    if (error instanceof ConfigError) return { text, config: null, error };
    throw error;
  }
}

const files = readdirSync(DIR).filter((name) => name.endsWith('.yaml')).sort();

describe('config: real LiteLLM configs', () => {
  it('config: the corpus holds at least 30 files, each with its source, each in the table', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(EXPECTED).sort()).toEqual(files);
  });

  it.each(files)('config: %s is read as LiteLLM reads it, or refused naming the provider', (file) => {
    const expected = EXPECTED[file]!;
    const { text, config, error } = read(file);
    expect(text.split('\n', 1)[0]).toMatch(/^# source: [\w.-]+\/[\w.-]+ \S+/);
    if ('groups' in expected) {
      expect(error?.message ?? null).toBeNull();
      const groups = Object.fromEntries(
        [...config!.groups].map(([name, deployments]) => [
          name,
          deployments.map((d) => `${d.provider}/${d.providerModel}${d.apiBase === null ? '' : ` @ ${d.apiBase}`}`),
        ]),
      );
      expect(groups).toEqual(expected.groups);
      // Every listed name resolves to a group of the file.
      for (const name of listedModels(config!)) expect(resolveModel(config!, name), name).not.toBeNull();
      expected.check?.(config!);
      return;
    }
    expect(config).toBeNull();
    const named = [...new Set(error!.problems.flatMap((problem) => [...problem.matchAll(/provider "([^"]+)" is not supported/g)].map((m) => m[1])))];
    expect(named).toEqual(expected.refused);
    // Nothing but the unsupported providers (and what LiteLLM cannot load either) stops the file.
    const others = error!.problems.filter((problem) => !/provider "[^"]+" is not supported/.test(problem));
    expect(others).toEqual(expected.otherProblems ?? []);
    for (const key of expected.warns ?? []) expect(error!.warnings.join('\n')).toContain(key);
  });
});

describe('config: real LiteLLM configs, counted', () => {
  it('config: loads right / refused naming a provider / misread', () => {
    const counts = { loads: 0, refusedNamingProvider: 0, refusedAsLiteLLMWould: 0 };
    for (const file of files) {
      const expected = EXPECTED[file]!;
      if ('groups' in expected) counts.loads += 1;
      else if (expected.refused.length > 0) counts.refusedNamingProvider += 1;
      else counts.refusedAsLiteLLMWould += 1;
    }
    // Printed for the report; the per-file test above is what proves "misread: 0".
    console.info(`litellm corpus: ${files.length} files, ${counts.loads} load right, ${counts.refusedNamingProvider} refused naming a provider, ${counts.refusedAsLiteLLMWould} refused as LiteLLM would, 0 misread`);
    expect(counts.loads + counts.refusedNamingProvider + counts.refusedAsLiteLLMWould).toBe(files.length);
  });
});
