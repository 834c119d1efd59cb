import { openAICompatible } from './base.js';

// Cerebras serves chat and (legacy) completions; it has no embeddings endpoint.
export const cerebras = openAICompatible({
  name: 'cerebras',
  defaultBaseUrl: 'https://api.cerebras.ai/v1',
  endpoints: ['chat.completions', 'completions', 'messages'],
});
