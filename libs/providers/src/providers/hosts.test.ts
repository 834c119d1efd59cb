import { describe, expect, it } from 'vitest';
import { PROVIDER_ENV, type ProviderName } from '@switchyard/config';
import { GatewayError } from '@switchyard/contracts';
import { buildProviderRequest } from '../request.js';
import { deployment, TEST_KEY } from '../../test/fixtures.js';
import { PROVIDER_CONFIGS } from './index.js';

/*
 * Each host's default base URL and standard variables, as LiteLLM reads them
 * (BerriAI/litellm, litellm/litellm_core_utils/get_llm_provider_logic.py
 * _get_openai_compatible_provider_info, and each provider's own
 * `_get_openai_compatible_provider_info`: llms/fireworks_ai/chat/transformation.py,
 * llms/perplexity/chat/transformation.py, llms/xai/chat/transformation.py,
 * llms/deepinfra/chat/transformation.py, llms/lm_studio/chat/transformation.py;
 * openrouter: llms/openrouter/common_utils.py; cohere and text-completion-openai:
 * litellm/main.py). The first variable set wins, in this order, as there.
 */
const LITELLM: ReadonlyArray<{ provider: ProviderName; base: string | null; key: string[]; apiBase: string[] }> = [
  { provider: 'openrouter', base: 'https://openrouter.ai/api/v1', key: ['OPENROUTER_API_KEY', 'OR_API_KEY'], apiBase: ['OPENROUTER_API_BASE'] },
  { provider: 'text-completion-openai', base: 'https://api.openai.com/v1', key: ['OPENAI_API_KEY'], apiBase: ['OPENAI_BASE_URL', 'OPENAI_API_BASE'] },
  {
    provider: 'fireworks_ai',
    base: 'https://api.fireworks.ai/inference/v1',
    key: ['FIREWORKS_API_KEY', 'FIREWORKS_AI_API_KEY', 'FIREWORKSAI_API_KEY', 'FIREWORKS_AI_TOKEN'],
    apiBase: ['FIREWORKS_API_BASE'],
  },
  { provider: 'perplexity', base: 'https://api.perplexity.ai', key: ['PERPLEXITYAI_API_KEY', 'PERPLEXITY_API_KEY'], apiBase: ['PERPLEXITY_API_BASE'] },
  { provider: 'xai', base: 'https://api.x.ai/v1', key: ['XAI_API_KEY'], apiBase: ['XAI_API_BASE'] },
  { provider: 'cerebras', base: 'https://api.cerebras.ai/v1', key: ['CEREBRAS_API_KEY'], apiBase: ['CEREBRAS_API_BASE'] },
  { provider: 'deepinfra', base: 'https://api.deepinfra.com/v1/openai', key: ['DEEPINFRA_API_KEY'], apiBase: ['DEEPINFRA_API_BASE'] },
  { provider: 'nvidia_nim', base: 'https://integrate.api.nvidia.com/v1', key: ['NVIDIA_NIM_API_KEY'], apiBase: ['NVIDIA_NIM_API_BASE'] },
  { provider: 'lm_studio', base: null, key: ['LM_STUDIO_API_KEY'], apiBase: ['LM_STUDIO_API_BASE'] },
  { provider: 'cohere', base: 'https://api.cohere.com', key: ['COHERE_API_KEY', 'CO_API_KEY'], apiBase: ['COHERE_API_BASE'] },
];

describe('providers: OpenAI-compatible hosts are configured as LiteLLM configures them', () => {
  it.each(LITELLM)('providers: $provider default base $base, key $key', ({ provider, base, key, apiBase }) => {
    if (provider === 'mock') throw new Error('unreachable');
    expect(PROVIDER_CONFIGS[provider].defaultBaseUrl).toBe(base);
    expect(PROVIDER_ENV[provider]).toEqual({ apiKey: key, apiBase, apiVersion: [] });
  });

  it.each(LITELLM.filter((host) => host.base !== null && host.provider !== 'cohere' && host.provider !== 'text-completion-openai'))(
    'providers: $provider chat goes to $base/chat/completions with a bearer key',
    ({ provider, base }) => {
      const req = buildProviderRequest(deployment({ provider, providerModel: 'some-model' }), 'chat.completions', { model: 'x', messages: [{ role: 'user', content: 'hi' }] }, { stream: false, wantUsage: false });
      expect(req.url).toBe(`${base}/chat/completions`);
      expect(req.headers.authorization).toBe(`Bearer ${TEST_KEY}`);
    },
  );

  it('providers: hosts without embeddings or completions refuse them with a 400 before any call', () => {
    const refused = (provider: ProviderName, endpoint: 'embeddings' | 'completions') => {
      try {
        buildProviderRequest(deployment({ provider }), endpoint, { model: 'x', input: 'a', prompt: 'a' }, { stream: false, wantUsage: false });
      } catch (error) {
        return error instanceof GatewayError ? [error.status, error.code] : error;
      }
      return 'sent';
    };
    expect(refused('perplexity', 'embeddings')).toEqual([400, 'unsupported_endpoint']);
    expect(refused('perplexity', 'completions')).toEqual([400, 'unsupported_endpoint']);
    expect(refused('cerebras', 'embeddings')).toEqual([400, 'unsupported_endpoint']);
    expect(refused('deepinfra', 'embeddings')).toBe('sent');
  });

  it('providers: fireworks_ai model ids get the accounts/fireworks/models/ path LiteLLM gives them', () => {
    const body = (providerModel: string) =>
      JSON.parse(buildProviderRequest(deployment({ provider: 'fireworks_ai', providerModel }), 'chat.completions', { model: 'x', messages: [{ role: 'user', content: 'hi' }] }, { stream: false, wantUsage: false }).body);
    expect(body('llama-v3p1-8b-instruct').model).toBe('accounts/fireworks/models/llama-v3p1-8b-instruct');
    expect(body('accounts/me/models/tuned').model).toBe('accounts/me/models/tuned');
  });

  it('providers: perplexity and cerebras never get stream_options (their streams carry usage unasked); lm_studio needs an api_base and no key', () => {
    const streamOptionsOf = (provider: ProviderName) =>
      JSON.parse(
        buildProviderRequest(deployment({ provider }), 'chat.completions', { model: 'x', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }, { stream: true, wantUsage: true }).body,
      ).stream_options;
    expect([streamOptionsOf('perplexity'), streamOptionsOf('cerebras'), streamOptionsOf('xai')]).toEqual([undefined, undefined, { include_usage: true }]);
    const local = buildProviderRequest(deployment({ provider: 'lm_studio', apiBase: 'http://localhost:1234/v1', apiKey: null }), 'embeddings', { model: 'x', input: 'a' }, { stream: false, wantUsage: false });
    expect([local.url, local.headers.authorization]).toEqual(['http://localhost:1234/v1/embeddings', undefined]);
    expect(() => buildProviderRequest(deployment({ provider: 'lm_studio', apiKey: null }), 'embeddings', { model: 'x', input: 'a' }, { stream: false, wantUsage: false })).toThrow(/needs an api_base/);
  });
});
