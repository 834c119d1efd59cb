import { openAICompatible } from './base.js';

export const groq = openAICompatible({ name: 'groq', defaultBaseUrl: 'https://api.groq.com/openai/v1' });
