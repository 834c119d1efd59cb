import { describe, expect, it } from 'vitest';
import { isAdaptiveRouterEntry } from './litellm-schema.js';
import { formatPath } from './path.js';
import { parseModelTarget } from './provider.js';
import { findUnsupportedKeys } from './unsupported-keys.js';

describe('config: provider/model strings', () => {
  it.each([
    ['gpt-4o', { kind: 'ok', provider: 'openai', providerModel: 'gpt-4o' }],
    ['openai/gpt-4o', { kind: 'ok', provider: 'openai', providerModel: 'gpt-4o' }],
    ['hosted_vllm/meta-llama/Llama-3-8B', { kind: 'ok', provider: 'hosted_vllm', providerModel: 'meta-llama/Llama-3-8B' }],
    ['together_ai/mistralai/Mixtral-8x7B', { kind: 'ok', provider: 'together_ai', providerModel: 'mistralai/Mixtral-8x7B' }],
    ['ft:gpt-4o-mini:org::abc', { kind: 'ok', provider: 'openai', providerModel: 'ft:gpt-4o-mini:org::abc' }],
    ['ollama_chat/llama3', { kind: 'ok', provider: 'ollama', providerModel: 'llama3' }],
    ['*', { kind: 'ok', provider: 'openai', providerModel: '*' }],
    // A name no vendor claims is OpenAI's, as in LiteLLM.
    ['my-finetune-v2', { kind: 'ok', provider: 'openai', providerModel: 'my-finetune-v2' }],
    ['anthropic/claude-3', { kind: 'ok', provider: 'anthropic', providerModel: 'claude-3' }],
    // Bare claude names go to Anthropic, as LiteLLM sends them; never to OpenAI with that vendor's key.
    ['claude-3-sonnet-20240229', { kind: 'ok', provider: 'anthropic', providerModel: 'claude-3-sonnet-20240229' }],
    ['claude-opus-9-future', { kind: 'ok', provider: 'anthropic', providerModel: 'claude-opus-9-future' }],
    ['vertex_ai/gemini-1.5-pro', expect.objectContaining({ kind: 'unsupported', provider: 'vertex_ai', message: expect.stringMatching(/^provider "vertex_ai" is not supported \(supported: openai, azure, /) })],
    ['gemini-1.5-pro', expect.objectContaining({ kind: 'unsupported', provider: 'vertex_ai' })],
    // Bedrock model ids, bare (LiteLLM's bedrock_models) or as a cross-region inference profile, are Bedrock's.
    ['anthropic.claude-3-haiku-20240307-v1:0', { kind: 'ok', provider: 'bedrock', providerModel: 'anthropic.claude-3-haiku-20240307-v1:0' }],
    ['us.anthropic.claude-3-5-haiku-20241022-v1:0', { kind: 'ok', provider: 'bedrock', providerModel: 'us.anthropic.claude-3-5-haiku-20241022-v1:0' }],
    ['amazon.titan-embed-text-v2:0', { kind: 'ok', provider: 'bedrock', providerModel: 'amazon.titan-embed-text-v2:0' }],
    ['bedrock/converse/meta.llama3-70b-instruct-v1:0', { kind: 'ok', provider: 'bedrock', providerModel: 'meta.llama3-70b-instruct-v1:0' }],
    [
      'bedrock/arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0',
      { kind: 'ok', provider: 'bedrock', providerModel: 'arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0' },
    ],
    ['bedrock/invoke/anthropic.claude-v2', expect.objectContaining({ kind: 'unsupported', provider: 'bedrock/invoke', message: expect.stringContaining('through Converse') })],
    ['deepseek-chat', { kind: 'invalid', message: '"deepseek-chat" is a model of deepseek and names no provider: write deepseek/deepseek-chat' }],
    ['mock/', { kind: 'invalid', message: '"mock/" names no model after "mock/"' }],
    // Cohere: both of LiteLLM's prefixes reach the v2 chat API; its bare chat and embed names are Cohere's.
    ['cohere/command-r-plus', { kind: 'ok', provider: 'cohere', providerModel: 'command-r-plus' }],
    ['cohere_chat/command-a-03-2025', { kind: 'ok', provider: 'cohere', providerModel: 'command-a-03-2025' }],
    ['command-r', { kind: 'ok', provider: 'cohere', providerModel: 'command-r' }],
    ['command-r7b-12-2024', { kind: 'ok', provider: 'cohere', providerModel: 'command-r7b-12-2024' }],
    ['embed-english-v3.0', { kind: 'ok', provider: 'cohere', providerModel: 'embed-english-v3.0' }],
    ['embed-v4.0', { kind: 'ok', provider: 'cohere', providerModel: 'embed-v4.0' }],
    // OpenAI's completion-only models are LiteLLM's text-completion-openai.
    ['gpt-3.5-turbo-instruct', { kind: 'ok', provider: 'text-completion-openai', providerModel: 'gpt-3.5-turbo-instruct' }],
    ['text-completion-openai/davinci-002', { kind: 'ok', provider: 'text-completion-openai', providerModel: 'davinci-002' }],
    ['openrouter/anthropic/claude-3.5-sonnet', { kind: 'ok', provider: 'openrouter', providerModel: 'anthropic/claude-3.5-sonnet' }],
    ['fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct', { kind: 'ok', provider: 'fireworks_ai', providerModel: 'accounts/fireworks/models/llama-v3p1-8b-instruct' }],
    ['nvidia_nim/meta/llama3-70b-instruct', { kind: 'ok', provider: 'nvidia_nim', providerModel: 'meta/llama3-70b-instruct' }],
    ['vllm/facebook/opt-125m', { kind: 'ok', provider: 'hosted_vllm', providerModel: 'facebook/opt-125m' }],
    // xAI now has a provider, and LiteLLM infers none for a bare grok name either.
    ['grok-3', { kind: 'invalid', message: '"grok-3" is a model of xai and names no provider: write xai/grok-3' }],
  ])('config: %s', (model, expected) => {
    expect(parseModelTarget(model)).toEqual(expected);
  });

  it.each([
    [{ litellm_params: { model: 'auto_router/x' } }, true],
    [{ litellm_params: { model: 'adaptive_router/x' } }, true],
    [{ litellm_params: { model: 'openai/auto_router' } }, false],
    [{ litellm_params: 'auto_router/x' }, false],
    ['auto_router/x', false],
  ])('config: adaptive router entry %j -> %s', (entry, expected) => {
    expect(isAdaptiveRouterEntry(entry)).toBe(expected);
  });
});

describe('config: unsupported keys', () => {
  it('config: free maps and known keys are not reported', () => {
    expect(
      findUnsupportedKeys({
        model_list: [
          {
            model_name: 'a',
            litellm_params: { model: 'mock/a', mock_response: 'x', extra_headers: { 'X-Any': 'y' } },
            model_info: { id: 'a', mode: 'chat', hidden: true, base_model: 'gpt-4o' },
            rpm: 1,
          },
        ],
        router_settings: { model_group_alias: { b: 'a', c: { model: 'a', hidden: true } } },
        general_settings: { master_key: 'k' },
      }),
    ).toEqual([]);
  });

  it('config: unknown keys are reported without descending into them', () => {
    expect(findUnsupportedKeys({ litellm_settings: { callbacks: ['x'], drop_params: true }, model_list: 'oops', fallbacks: {} })).toEqual([
      'fallbacks',
      'litellm_settings.callbacks',
    ]);
  });

  it.each([
    [[], '(top level)'],
    [['model_list', 2, 'litellm_params', 'model'], 'model_list[2].litellm_params.model'],
    [['router_settings', 'model_group_alias', 'gpt-3.5'], 'router_settings.model_group_alias["gpt-3.5"]'],
    [['extra_headers', 'X-Team'], 'extra_headers.X-Team'],
  ])('config: path %j prints as %s', (path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});
