import { openAICompatible } from './base.js';

// LM Studio runs on the operator's machine: LiteLLM has no default for it
// (LM_STUDIO_API_BASE or api_base, e.g. http://localhost:1234/v1), and a key
// is sent only when one is configured.
export const lmStudio = openAICompatible({ name: 'lm_studio', defaultBaseUrl: null, apiKey: 'optional' });
