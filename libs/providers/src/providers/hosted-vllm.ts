import { openAICompatible } from './base.js';

// vLLM has no public host: api_base (e.g. http://vllm:8000/v1) is the server
// itself, and a key is only sent when the operator configured one (--api-key).
export const hostedVllm = openAICompatible({ name: 'hosted_vllm', defaultBaseUrl: null, apiKey: 'optional' });
