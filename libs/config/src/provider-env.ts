import type { ProviderName } from './model.js';

/**
 * The environment variables LiteLLM reads for a provider when the file names
 * no `api_key` / `api_base` / `api_version` (checked against LiteLLM's source:
 * get_llm_provider_logic.py and each provider's `_get_openai_compatible_provider_info`).
 * The first one set wins, in this order, as there.
 */
export interface ProviderEnvNames {
  apiKey: readonly string[];
  apiBase: readonly string[];
  apiVersion: readonly string[];
}

export const PROVIDER_ENV: Readonly<Record<Exclude<ProviderName, 'mock'>, ProviderEnvNames>> = {
  openai: { apiKey: ['OPENAI_API_KEY'], apiBase: ['OPENAI_BASE_URL', 'OPENAI_API_BASE'], apiVersion: [] },
  azure: { apiKey: ['AZURE_OPENAI_API_KEY', 'AZURE_API_KEY'], apiBase: ['AZURE_API_BASE'], apiVersion: ['AZURE_API_VERSION'] },
  groq: { apiKey: ['GROQ_API_KEY'], apiBase: ['GROQ_API_BASE'], apiVersion: [] },
  mistral: { apiKey: ['MISTRAL_API_KEY'], apiBase: ['MISTRAL_AZURE_API_BASE'], apiVersion: [] },
  together_ai: {
    apiKey: ['TOGETHER_API_KEY', 'TOGETHER_AI_API_KEY', 'TOGETHERAI_API_KEY', 'TOGETHER_AI_TOKEN'],
    apiBase: ['TOGETHER_AI_API_BASE'],
    apiVersion: [],
  },
  deepseek: { apiKey: ['DEEPSEEK_API_KEY'], apiBase: ['DEEPSEEK_API_BASE'], apiVersion: [] },
  hosted_vllm: { apiKey: ['HOSTED_VLLM_API_KEY'], apiBase: ['HOSTED_VLLM_API_BASE'], apiVersion: [] },
  ollama: { apiKey: ['OLLAMA_API_KEY'], apiBase: ['OLLAMA_API_BASE'], apiVersion: [] },
  anthropic: { apiKey: ['ANTHROPIC_API_KEY'], apiBase: ['ANTHROPIC_API_BASE', 'ANTHROPIC_BASE_URL'], apiVersion: [] },
  // main.py's cohere / cohere_chat branch; CO_API_KEY is the Cohere SDK's own name.
  cohere: { apiKey: ['COHERE_API_KEY', 'CO_API_KEY'], apiBase: ['COHERE_API_BASE'], apiVersion: [] },
  // llms/openrouter/common_utils.py (get_openrouter_api_key / get_openrouter_api_base).
  openrouter: { apiKey: ['OPENROUTER_API_KEY', 'OR_API_KEY'], apiBase: ['OPENROUTER_API_BASE'], apiVersion: [] },
  // main.py's text-completion-openai branch reads OpenAI's variables.
  'text-completion-openai': { apiKey: ['OPENAI_API_KEY'], apiBase: ['OPENAI_BASE_URL', 'OPENAI_API_BASE'], apiVersion: [] },
  fireworks_ai: {
    apiKey: ['FIREWORKS_API_KEY', 'FIREWORKS_AI_API_KEY', 'FIREWORKSAI_API_KEY', 'FIREWORKS_AI_TOKEN'],
    apiBase: ['FIREWORKS_API_BASE'],
    apiVersion: [],
  },
  perplexity: { apiKey: ['PERPLEXITYAI_API_KEY', 'PERPLEXITY_API_KEY'], apiBase: ['PERPLEXITY_API_BASE'], apiVersion: [] },
  xai: { apiKey: ['XAI_API_KEY'], apiBase: ['XAI_API_BASE'], apiVersion: [] },
  cerebras: { apiKey: ['CEREBRAS_API_KEY'], apiBase: ['CEREBRAS_API_BASE'], apiVersion: [] },
  deepinfra: { apiKey: ['DEEPINFRA_API_KEY'], apiBase: ['DEEPINFRA_API_BASE'], apiVersion: [] },
  nvidia_nim: { apiKey: ['NVIDIA_NIM_API_KEY'], apiBase: ['NVIDIA_NIM_API_BASE'], apiVersion: [] },
  lm_studio: { apiKey: ['LM_STUDIO_API_KEY'], apiBase: ['LM_STUDIO_API_BASE'], apiVersion: [] },
  // A Bedrock API key (bearer); without one calls are signed with SigV4. The endpoint is resolved in aws.ts.
  bedrock: { apiKey: ['AWS_BEARER_TOKEN_BEDROCK'], apiBase: [], apiVersion: [] },
};

/**
 * LiteLLM's `AZURE_DEFAULT_API_VERSION` (litellm/constants.py), used when
 * neither the file nor AZURE_API_VERSION gives one.
 */
export const AZURE_DEFAULT_API_VERSION = '2025-02-01-preview';

/** The first variable of `names` that is set (non-empty), as an `os.environ/NAME` reference. */
export function fromStandardEnv(names: readonly string[], env: Record<string, string | undefined>): string | null {
  const name = names.find((candidate) => (env[candidate] ?? '') !== '');
  return name === undefined ? null : `os.environ/${name}`;
}
