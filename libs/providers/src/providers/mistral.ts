import { openAICompatible } from './base.js';

// Mistral validates bodies strictly (422 "Extra inputs are not permitted" on
// stream_options) and puts usage on its last stream chunk unasked.
export const mistral = openAICompatible({
  name: 'mistral',
  defaultBaseUrl: 'https://api.mistral.ai/v1',
  streamUsage: 'always',
});
