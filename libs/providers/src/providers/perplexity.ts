import { openAICompatible } from './base.js';

// Perplexity serves chat completions only, at the host's root (no /v1): a
// completions or embeddings request is a 400 before any call. LiteLLM never
// sends it stream_options (not in PerplexityChatConfig's supported params);
// its streams carry usage unasked.
export const perplexity = openAICompatible({
  name: 'perplexity',
  defaultBaseUrl: 'https://api.perplexity.ai',
  streamUsage: 'always',
  endpoints: ['chat.completions', 'messages'],
});
