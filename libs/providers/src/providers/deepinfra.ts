import { openAICompatible } from './base.js';

// DeepInfra's OpenAI-compatible API lives under /v1/openai (chat, completions, embeddings).
export const deepinfra = openAICompatible({ name: 'deepinfra', defaultBaseUrl: 'https://api.deepinfra.com/v1/openai' });
