import { openAICompatible } from './base.js';

// Operators give Ollama's server address (LiteLLM style, http://host:11434);
// its OpenAI-compatible API lives under /v1. An address that already ends in
// /v1 is taken as is.
export const ollama = openAICompatible({
  name: 'ollama',
  defaultBaseUrl: 'http://localhost:11434',
  apiKey: 'optional',
  root: (apiBase) => (apiBase.endsWith('/v1') ? apiBase : `${apiBase}/v1`),
});
