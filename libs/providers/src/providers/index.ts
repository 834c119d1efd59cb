import type { HttpProviderName, ProviderConfig } from './base.js';
import { anthropic } from '../anthropic/index.js';
import { bedrock } from '../bedrock/index.js';
import { azure } from './azure.js';
import { deepseek } from './deepseek.js';
import { groq } from './groq.js';
import { hostedVllm } from './hosted-vllm.js';
import { mistral } from './mistral.js';
import { ollama } from './ollama.js';
import { openai } from './openai.js';
import { togetherAi } from './together-ai.js';
import { cohere } from '../cohere/index.js';
import { openrouter } from './openrouter.js';
import { textCompletionOpenai } from './text-completion-openai.js';
import { fireworksAi } from './fireworks-ai.js';
import { perplexity } from './perplexity.js';
import { xai } from './xai.js';
import { cerebras } from './cerebras.js';
import { deepinfra } from './deepinfra.js';
import { nvidiaNim } from './nvidia-nim.js';
import { lmStudio } from './lm-studio.js';

export type { HttpProviderName, ProviderConfig } from './base.js';

/** The registration table: adding a provider is a module and one line here. */
export const PROVIDER_CONFIGS: Readonly<Record<HttpProviderName, ProviderConfig>> = {
  openai,
  azure,
  hosted_vllm: hostedVllm,
  ollama,
  groq,
  together_ai: togetherAi,
  deepseek,
  mistral,
  anthropic,
  cohere,
  openrouter,
  'text-completion-openai': textCompletionOpenai,
  fireworks_ai: fireworksAi,
  perplexity,
  xai,
  cerebras,
  deepinfra,
  nvidia_nim: nvidiaNim,
  lm_studio: lmStudio,
  bedrock,
};
