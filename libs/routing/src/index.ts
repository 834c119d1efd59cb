export * from './simple-shuffle.js';
export * from './classifier.js';
export * from './signals.js';
export * from './bandit.js';
export * from './conversation.js';
export * from './load-strategies.js';
export * from './signals-legacy.js';
export * from './signal-eval.js';
