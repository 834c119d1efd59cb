import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '@switchyard/config';
import { allowedModels, keyModelsOf, modelDenial } from './model-access.js';

const config = parseGatewayConfig(
  `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_key: sk-x }
  - model_name: claude
    litellm_params: { model: anthropic/claude-3-5-sonnet, api_key: sk-x }
  - model_name: local
    litellm_params: { model: hosted_vllm/llama, api_base: "http://vllm:8000/v1" }
router_settings:
  model_group_alias:
    smart: gpt-4o
`,
  { source: '<test>', env: {} },
);

describe('virtual keys: model access as LiteLLM checks it', () => {
  it('virtual keys: an empty list, "*" and all-proxy-models allow every model', () => {
    for (const models of [[], ['*'], ['all-proxy-models']]) expect(modelDenial(config, 'claude', models, null)).toBeNull();
  });

  it('virtual keys: a model outside the key list is refused in LiteLLM words and type', () => {
    expect(modelDenial(config, 'claude', ['gpt-4o', 'local'], null)).toEqual({
      object: 'key',
      type: 'key_model_access_denied',
      message: "key not allowed to access model. This key can only access models=['gpt-4o', 'local']. Tried to access claude",
    });
  });

  it('virtual keys: an alias is allowed when the key allows the alias or the group it names', () => {
    expect(modelDenial(config, 'smart', ['gpt-4o'], null)).toBeNull();
    expect(modelDenial(config, 'smart', ['smart'], null)).toBeNull();
    expect(modelDenial(config, 'gpt-4o', ['smart'], null)?.object).toBe('key');
  });

  it('virtual keys: a wildcard matches the name or the provider model that serves it', () => {
    expect(modelDenial(config, 'gpt-4o', ['openai/*'], null)).toBeNull();
    expect(modelDenial(config, 'claude', ['openai/*'], null)?.object).toBe('key');
    expect(modelDenial(config, 'gpt-4o', ['gpt-*'], null)).toBeNull();
  });

  it('virtual keys: the team list is checked after the key list, and all-team-models takes the team list', () => {
    expect(modelDenial(config, 'claude', [], ['gpt-4o'])).toMatchObject({ object: 'team', type: 'team_model_access_denied' });
    expect(modelDenial(config, 'gpt-4o', ['all-team-models'], ['gpt-4o'])).toBeNull();
    expect(modelDenial(config, 'claude', ['all-team-models'], ['gpt-4o'])?.object).toBe('key');
    expect(modelDenial(config, 'claude', ['all-team-models'], [])).toBeNull();
    expect(keyModelsOf(['all-team-models', 'local'], ['gpt-4o'])).toEqual(['local', 'gpt-4o']);
  });

  it('virtual keys: a listing keeps only what the key and its team may call', () => {
    expect(allowedModels(config, ['gpt-4o', 'claude', 'local', 'smart'], ['openai/*', 'local'], ['gpt-4o', 'smart'])).toEqual(['gpt-4o', 'smart']);
  });
});
