import { describe, expect, it } from 'vitest';
import { countPromptTokens, countTextTokens, encodingFor } from './tokens.js';

describe('providers: token counting', () => {
  it.each([
    { provider: 'openai', model: 'gpt-4o-mini', encoding: 'o200k_base' },
    { provider: 'azure', model: 'gpt-4.1', encoding: 'o200k_base' },
    { provider: 'openai', model: 'o3-mini', encoding: 'o200k_base' },
    { provider: 'openai', model: 'gpt-4-turbo', encoding: 'cl100k_base' },
    { provider: 'openai', model: 'gpt-3.5-turbo', encoding: 'cl100k_base' },
    { provider: 'openai', model: 'text-embedding-3-small', encoding: 'cl100k_base' },
    { provider: 'openai', model: 'my-finetune', encoding: 'approximate' },
    { provider: 'groq', model: 'llama-3.1-8b-instant', encoding: 'approximate' },
    { provider: 'mock', model: 'gpt-4o', encoding: 'approximate' },
  ] as const)('picks $encoding for $provider/$model', ({ provider, model, encoding }) => {
    expect(encodingFor({ provider, providerModel: model })).toBe(encoding);
  });

  it('counts with the real tokenizer', () => {
    // Known counts: "hello world" is 2 tokens in both encodings.
    expect(countTextTokens('hello world', 'o200k_base')).toBe(2);
    expect(countTextTokens('hello world', 'cl100k_base')).toBe(2);
    expect(countTextTokens('hello world', 'approximate')).toBe(3);
  });

  it('adds the chat framing per message and the reply priming', () => {
    const body = { messages: [{ role: 'system', content: 'hello world' }, { role: 'user', content: 'hello world', name: 'x' }] };
    expect(countPromptTokens('chat.completions', body, 'o200k_base')).toBe(3 + (3 + 2) + (3 + 2 + 1));
  });

  it('counts content parts, batches and token arrays', () => {
    const parts = { messages: [{ role: 'user', content: [{ type: 'text', text: 'hello world' }, { type: 'image_url' }] }] };
    expect(countPromptTokens('chat.completions', parts, 'cl100k_base')).toBe(3 + 3 + 2);
    expect(countPromptTokens('embeddings', { input: ['hello world', 'hello world'] }, 'cl100k_base')).toBe(4);
    expect(countPromptTokens('completions', { prompt: [1, 2, 3] }, 'cl100k_base')).toBe(3);
    expect(countPromptTokens('embeddings', { input: [[1, 2], [3]] }, 'cl100k_base')).toBe(3);
  });

  it('does not crash on text in other scripts or odd content', () => {
    expect(countTextTokens('日本語のテキスト 🚀', 'o200k_base')).toBeGreaterThan(0);
    expect(countPromptTokens('chat.completions', { messages: [{ role: 'user', content: null }] }, 'o200k_base')).toBe(6);
  });
});
