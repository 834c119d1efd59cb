import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from './index.js';

const load = (model: string, env: Record<string, string>, extra = '') =>
  parseGatewayConfig(`model_list:\n  - model_name: m\n    litellm_params: { model: "${model}"${extra} }\n`, { source: '/etc/litellm.yaml', env });

describe('config: the standard variables of the added providers, in LiteLLM order', () => {
  it.each([
    ['cohere/command-r', { CO_API_KEY: 'co-key' }, 'co-key'],
    ['cohere/command-r', { CO_API_KEY: 'co-key', COHERE_API_KEY: 'cohere-key' }, 'cohere-key'],
    ['cohere_chat/command-r', { COHERE_API_KEY: 'cohere-key' }, 'cohere-key'],
    ['openrouter/openai/gpt-4o', { OR_API_KEY: 'or-key' }, 'or-key'],
    ['fireworks_ai/llama-v3p1-8b-instruct', { FIREWORKS_AI_TOKEN: 'fw-token', FIREWORKSAI_API_KEY: 'fw-key' }, 'fw-key'],
    ['perplexity/sonar', { PERPLEXITY_API_KEY: 'pplx-2', PERPLEXITYAI_API_KEY: 'pplx-1' }, 'pplx-1'],
    ['text-completion-openai/gpt-3.5-turbo-instruct', { OPENAI_API_KEY: 'sk-openai' }, 'sk-openai'],
    ['nvidia_nim/meta/llama3-70b-instruct', { NVIDIA_NIM_API_KEY: 'nvapi-1' }, 'nvapi-1'],
  ])('config: %s with %j uses %s', (model, env, key) => {
    expect(load(model, env).deployments[0]?.apiKey?.reveal()).toBe(key);
  });

  it('config: COHERE_API_BASE (a full chat URL, as LiteLLM takes it) is the api_base', () => {
    expect(load('cohere/command-r', { COHERE_API_BASE: 'https://cohere.internal/v2/chat' }).deployments[0]?.apiBase).toBe('https://cohere.internal/v2/chat');
  });

  it('config: lm_studio without an api_base loads, warns naming LM_STUDIO_API_BASE, and cannot be called until it is set', () => {
    const config = load('lm_studio/qwen2.5-7b-instruct', {});
    expect(config.deployments[0]?.missingEnv).toEqual(['LM_STUDIO_API_BASE']);
    expect(config.warnings.join('\n')).toContain('LM_STUDIO_API_BASE');
    expect(load('lm_studio/qwen2.5-7b-instruct', { LM_STUDIO_API_BASE: 'http://127.0.0.1:1234/v1' }).deployments[0]).toMatchObject({ apiBase: 'http://127.0.0.1:1234/v1', missingEnv: [] });
  });

  it("config: vllm/ is the vLLM server at api_base, and the file says that LiteLLM's in-process vLLM is not what runs", () => {
    const config = load('vllm/facebook/opt-125m', {}, ', api_base: "http://vllm:8000/v1"');
    expect(config.deployments[0]).toMatchObject({ provider: 'hosted_vllm', providerModel: 'facebook/opt-125m', apiBase: 'http://vllm:8000/v1' });
    expect(config.warnings).toContainEqual(expect.stringContaining("model_list[0].litellm_params.model: LiteLLM's vllm/ runs vLLM inside the LiteLLM process"));
  });
});
