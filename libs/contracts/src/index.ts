export * from './subjects.js';
export * from './errors.js';
export * from './openai.js';
export * from './messages.js';
export * from './routing.js';
export * from './anthropic.js';
export * from './keys.js';
export * from './spend.js';
