import { describe, expect, it } from 'vitest';
import { parseGatewayConfig, type Deployment } from '@switchyard/config';
import type { Usage } from '@switchyard/contracts';
import { billedTokensOf, callCost, costHeaderValue, worstCaseCost } from './cost.js';

function deployment(entry: string): Deployment {
  const config = parseGatewayConfig(`model_list:\n${entry}`, { source: '<test>', env: {} });
  return config.deployments[0]!;
}

const usage = (prompt: number, completion: number, extra: Record<string, unknown> = {}): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  ...extra,
});

describe('pricing: call cost', () => {
  it('pricing: uses the deployment\'s configured prices first (litellm_params)', () => {
    const priced = deployment(`
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_key: sk-x, input_cost_per_token: 0.001, output_cost_per_token: 0.002 }
`);
    expect(callCost(priced, usage(100, 50))).toEqual({ usd: 100 * 0.001 + 50 * 0.002, source: 'config' });
  });

  it('pricing: reads prices from model_info, with cache read and write prices', () => {
    const priced = deployment(`
  - model_name: local
    litellm_params: { model: hosted_vllm/llama, api_base: "http://127.0.0.1:1/v1" }
    model_info: { input_cost_per_token: 0.00001, output_cost_per_token: 0.00003, cache_read_input_token_cost: 0.000001, cache_creation_input_token_cost: 0.0000125 }
`);
    // 1000 prompt tokens: 600 read from the cache, 100 written to it, 300 plain.
    const cost = callCost(priced, usage(1000, 10, { cache_read_input_tokens: 600, cache_creation_input_tokens: 100 }));
    expect(cost?.source).toBe('config');
    expect(cost?.usd).toBeCloseTo(300 * 0.00001 + 600 * 0.000001 + 100 * 0.0000125 + 10 * 0.00003, 12);
  });

  it('pricing: without config prices, the price table prices a known model', () => {
    const table = deployment(`
  - model_name: mini
    litellm_params: { model: openai/gpt-4o-mini, api_key: sk-x }
`);
    const cost = callCost(table, usage(1_000_000, 1_000_000));
    expect(cost?.source).toBe('price_table');
    // gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens.
    expect(cost?.usd).toBeCloseTo(0.75, 6);
  });

  it('pricing: OpenAI cached tokens are billed at the cached price', () => {
    const table = deployment(`
  - model_name: mini
    litellm_params: { model: openai/gpt-4o-mini, api_key: sk-x }
`);
    const plain = callCost(table, usage(1_000_000, 0))!.usd;
    const cached = callCost(table, usage(1_000_000, 0, { prompt_tokens_details: { cached_tokens: 1_000_000 } }))!.usd;
    expect(cached).toBeGreaterThan(0);
    expect(cached).toBeLessThan(plain);
    expect(cached).toBeCloseTo(0.075, 6);
  });

  it('pricing: Anthropic cache reads are cheaper and cache writes dearer than plain input', () => {
    const claude = deployment(`
  - model_name: claude
    litellm_params: { model: anthropic/claude-3-5-haiku-20241022, api_key: sk-ant-x }
`);
    const plain = callCost(claude, usage(10_000, 0))!;
    const read = callCost(claude, usage(10_000, 0, { cache_read_input_tokens: 10_000, prompt_tokens_details: { cached_tokens: 10_000 } }))!;
    const write = callCost(claude, usage(10_000, 0, { cache_creation_input_tokens: 10_000 }))!;
    expect(plain.source).toBe('price_table');
    expect(read.usd).toBeLessThan(plain.usd);
    expect(write.usd).toBeGreaterThan(plain.usd);
  });

  it('pricing: Azure prices by model_info.base_model', () => {
    const azure = deployment(`
  - model_name: az
    litellm_params: { model: azure/my-deployment, api_base: "https://x.openai.azure.com", api_key: k, api_version: "2024-10-21" }
    model_info: { base_model: gpt-4o-mini }
`);
    expect(callCost(azure, usage(1000, 1000))?.source).toBe('price_table');
  });

  it('pricing: an unknown model, a self-hosted one and a missing usage cost null', () => {
    const unknown = deployment(`
  - model_name: x
    litellm_params: { model: openai/no-such-model-anywhere, api_key: sk-x }
`);
    const vllm = deployment(`
  - model_name: v
    litellm_params: { model: hosted_vllm/llama, api_base: "http://127.0.0.1:1/v1" }
`);
    expect(callCost(unknown, usage(10, 10))).toBeNull();
    expect(callCost(vllm, usage(10, 10))).toBeNull();
    expect(callCost(vllm, null)).toBeNull();
  });

  it('pricing: never counts more cached tokens than prompt tokens', () => {
    expect(billedTokensOf(usage(10, 1, { prompt_tokens_details: { cached_tokens: 50 }, cache_creation_input_tokens: 5 }))).toEqual({
      promptTokens: 10,
      completionTokens: 1,
      cacheReadTokens: 10,
      cacheWriteTokens: 0,
    });
  });
});

describe('pricing: worst-case cost', () => {
  it('pricing: prices the prompt estimate and every choice\'s completion bound', () => {
    const priced = deployment(`
  - model_name: m
    litellm_params: { model: openai/gpt-4o-mini, api_key: sk-x, input_cost_per_token: 0.000001, output_cost_per_token: 0.000004 }
`);
    // 200 prompt tokens, 3 choices of up to 100 tokens each.
    expect(worstCaseCost(priced, 200, 300)?.usd).toBeCloseTo(200 * 0.000001 + 300 * 0.000004, 12);
  });

  it('pricing: is null for an unpriced model', () => {
    const vllm = deployment(`
  - model_name: v
    litellm_params: { model: hosted_vllm/llama, api_base: "http://127.0.0.1:1/v1" }
`);
    expect(worstCaseCost(vllm, 10, 10)).toBeNull();
  });
});

describe('pricing: header value', () => {
  it('pricing: prints plain decimals, never an exponent', () => {
    expect(costHeaderValue(0)).toBe('0.0');
    expect(costHeaderValue(0.00000015)).toBe('0.00000015');
    expect(costHeaderValue(2)).toBe('2.0');
    expect(costHeaderValue(1.5e-13)).toBe('0.0');
  });
});
