import { openAICompatible } from './base.js';

export const deepseek = openAICompatible({ name: 'deepseek', defaultBaseUrl: 'https://api.deepseek.com/v1' });
