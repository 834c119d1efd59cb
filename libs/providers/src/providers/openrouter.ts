import { openAICompatible } from './base.js';

// LiteLLM's default (llms/openrouter/common_utils.py DEFAULT_OPENROUTER_API_BASE).
// OpenRouter serves chat, completions and embeddings under /api/v1.
export const openrouter = openAICompatible({ name: 'openrouter', defaultBaseUrl: 'https://openrouter.ai/api/v1' });
