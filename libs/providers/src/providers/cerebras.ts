import { openAICompatible } from './base.js';

// Cerebras serves chat and (legacy) completions; it has no embeddings endpoint.
// Its streams end with usage unasked, and LiteLLM never sends it stream_options
// (not in CerebrasConfig's supported params): stripped, as for Mistral.
export const cerebras = openAICompatible({
  name: 'cerebras',
  defaultBaseUrl: 'https://api.cerebras.ai/v1',
  streamUsage: 'always',
  endpoints: ['chat.completions', 'completions', 'messages'],
});
