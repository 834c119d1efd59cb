export * from './simple-shuffle.js';
