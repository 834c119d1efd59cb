import { calcPrice } from '@pydantic/genai-prices';
import type { Deployment, ProviderName } from '@switchyard/config';
import type { Usage } from '@switchyard/contracts';

/**
 * What a call costs in USD, from the deployment's own prices (LiteLLM's
 * `input_cost_per_token` / `output_cost_per_token`, in litellm_params or
 * model_info, and `cache_read_input_token_cost` /
 * `cache_creation_input_token_cost` in model_info), else from the maintained
 * price table of `@pydantic/genai-prices` (per provider, with cached-token and
 * tiered prices), else null: a self-hosted model nobody priced costs nothing
 * the gateway can know.
 */

/** Token counts a call is billed for. `promptTokens` counts every input token, cached or not (OpenAI's and LiteLLM's convention). */
export interface BilledTokens {
  promptTokens: number;
  completionTokens: number;
  /** Input tokens read from the provider's prompt cache (OpenAI `prompt_tokens_details.cached_tokens`, Anthropic `cache_read_input_tokens`). */
  cacheReadTokens: number;
  /** Input tokens written to the prompt cache (Anthropic `cache_creation_input_tokens`). */
  cacheWriteTokens: number;
}

export type PriceSource = 'config' | 'price_table';

export interface CallCost {
  usd: number;
  source: PriceSource;
}

/** The deployment's configured prices per token, when it has any. */
export interface ConfiguredPrices {
  input: number;
  output: number;
  cacheRead: number | null;
  cacheWrite: number | null;
}

/** Provider ids of the price table, for the Switchyard providers it prices. Self-hosted ones (vllm, ollama, mock) have none. */
const PRICE_TABLE_PROVIDER: Partial<Record<ProviderName, string>> = {
  openai: 'openai',
  azure: 'azure',
  anthropic: 'anthropic',
  groq: 'groq',
  mistral: 'mistral',
  deepseek: 'deepseek',
  together_ai: 'together',
};

function price(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/**
 * The deployment's own prices. Either of input and output set is enough (the
 * other is then free, as LiteLLM treats custom pricing); cache prices default
 * to the input price.
 */
export function configuredPrices(deployment: Deployment): ConfiguredPrices | null {
  const info = deployment.modelInfo;
  const input = deployment.inputCostPerToken ?? price(info.input_cost_per_token);
  const output = deployment.outputCostPerToken ?? price(info.output_cost_per_token);
  if (input === null && output === null) return null;
  return {
    input: input ?? 0,
    output: output ?? 0,
    cacheRead: price(info.cache_read_input_token_cost),
    cacheWrite: price(info.cache_creation_input_token_cost),
  };
}

/** The tokens a provider's usage bills, cached ones apart (never more cached than prompt tokens). */
export function billedTokensOf(usage: Usage): BilledTokens {
  const details = usage.prompt_tokens_details as { cached_tokens?: unknown } | null | undefined;
  const promptTokens = count(usage.prompt_tokens);
  const cacheRead = Math.min(promptTokens, count(usage.cache_read_input_tokens) || count(details?.cached_tokens));
  const cacheWrite = Math.min(promptTokens - cacheRead, count(usage.cache_creation_input_tokens));
  return { promptTokens, completionTokens: count(usage.completion_tokens), cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite };
}

/** The price table's model id of a deployment: Azure's and custom servers' `model_info.base_model` names the real model. */
function tableModelOf(deployment: Deployment): string {
  const base = deployment.modelInfo.base_model;
  return typeof base === 'string' && base !== '' ? base : deployment.providerModel;
}

/** USD for these tokens on this deployment, or null when neither its config nor the price table knows the model. */
export function costOfTokens(deployment: Deployment, tokens: BilledTokens, at?: Date): CallCost | null {
  const configured = configuredPrices(deployment);
  if (configured) {
    const uncached = Math.max(0, tokens.promptTokens - tokens.cacheReadTokens - tokens.cacheWriteTokens);
    const usd =
      uncached * configured.input +
      tokens.cacheReadTokens * (configured.cacheRead ?? configured.input) +
      tokens.cacheWriteTokens * (configured.cacheWrite ?? configured.input) +
      tokens.completionTokens * configured.output;
    return { usd, source: 'config' };
  }
  const providerId = PRICE_TABLE_PROVIDER[deployment.provider];
  if (!providerId) return null;
  const result = calcPrice(
    {
      input_tokens: tokens.promptTokens,
      output_tokens: tokens.completionTokens,
      cache_read_tokens: tokens.cacheReadTokens,
      cache_write_tokens: tokens.cacheWriteTokens,
    },
    tableModelOf(deployment),
    at ? { providerId, timestamp: at } : { providerId },
  );
  return result ? { usd: result.total_price, source: 'price_table' } : null;
}

/** The cost of a finished call from the usage its provider reported; null when the usage or the price is unknown. */
export function callCost(deployment: Deployment, usage: Usage | null, at?: Date): CallCost | null {
  if (!usage) return null;
  return costOfTokens(deployment, billedTokensOf(usage), at);
}

/**
 * The most a call can cost before it is made: the prompt estimate at the
 * input price (nothing assumed cached) plus every choice's completion bound at
 * the output price; the tokens the limiter reserves, priced.
 */
export function worstCaseCost(deployment: Deployment, promptTokens: number, completionTokens: number): CallCost | null {
  return costOfTokens(deployment, { promptTokens, completionTokens, cacheReadTokens: 0, cacheWriteTokens: 0 });
}

/** The response header value of a cost: plain decimal (no exponent), as LiteLLM's `x-litellm-response-cost` prints a float. */
export function costHeaderValue(usd: number): string {
  if (usd === 0) return '0.0';
  const fixed = usd.toFixed(12).replace(/0+$/, '');
  return fixed.endsWith('.') ? `${fixed}0` : fixed;
}
