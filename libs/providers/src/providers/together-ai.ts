import { openAICompatible } from './base.js';

export const togetherAi = openAICompatible({ name: 'together_ai', defaultBaseUrl: 'https://api.together.xyz/v1' });
