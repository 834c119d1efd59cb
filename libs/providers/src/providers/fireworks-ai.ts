import { openAICompatible } from './base.js';

// Fireworks names a model by its account path; LiteLLM adds `accounts/fireworks/models/`
// to any id without one (llms/fireworks_ai/chat/transformation.py transform_request),
// so `fireworks_ai/llama-v3p1-8b-instruct` reaches the same model it does there.
export const fireworksAi = openAICompatible({
  name: 'fireworks_ai',
  defaultBaseUrl: 'https://api.fireworks.ai/inference/v1',
  wireModel: (model) => (model.startsWith('accounts/') ? model : `accounts/fireworks/models/${model}`),
});
