import { openAICompatible } from './base.js';

export const xai = openAICompatible({ name: 'xai', defaultBaseUrl: 'https://api.x.ai/v1' });
