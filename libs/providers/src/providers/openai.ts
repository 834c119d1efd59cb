import { openAICompatible } from './base.js';

export const openai = openAICompatible({ name: 'openai', defaultBaseUrl: 'https://api.openai.com/v1', nativeResponses: true });
