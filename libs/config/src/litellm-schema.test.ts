import { describe, expect, it } from 'vitest';
import { findUnsupportedKeys, isAdaptiveRouterEntry, splitProviderModel } from './litellm-schema.js';
import { formatPath } from './path.js';

describe('config: provider/model strings', () => {
  it.each([
    ['gpt-4o', { provider: 'openai', providerModel: 'gpt-4o' }],
    ['openai/gpt-4o', { provider: 'openai', providerModel: 'gpt-4o' }],
    ['hosted_vllm/meta-llama/Llama-3-8B', { provider: 'hosted_vllm', providerModel: 'meta-llama/Llama-3-8B' }],
    ['together_ai/mistralai/Mixtral-8x7B', { provider: 'together_ai', providerModel: 'mistralai/Mixtral-8x7B' }],
    ['ft:gpt-4o-mini:org::abc', { provider: 'openai', providerModel: 'ft:gpt-4o-mini:org::abc' }],
    ['anthropic/claude-3', { error: expect.stringMatching(/^provider "anthropic" is not supported \(supported: openai, azure, /) as unknown }],
    ['mock/', { error: '"mock/" names no model after "mock/"' }],
  ])('config: %s', (model, expected) => {
    expect(splitProviderModel(model)).toEqual(expected);
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
            model_info: { id: 'a', whatever: 1 },
            rpm: 1,
          },
        ],
        router_settings: { model_group_alias: { b: 'a', c: { model: 'a', hidden: true } } },
        general_settings: { master_key: 'k' },
      }),
    ).toEqual([]);
  });

  it('config: unknown keys are reported without descending into them', () => {
    expect(findUnsupportedKeys({ litellm_settings: { callbacks: ['x'] }, model_list: 'oops' })).toEqual(['litellm_settings']);
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
