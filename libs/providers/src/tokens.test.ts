import { readFileSync } from 'node:fs';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { Tiktoken } from 'js-tiktoken/lite';
import cl100kRanks from 'js-tiktoken/ranks/cl100k_base';
import o200kRanks from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';
import { countPromptTokens, countTextTokens, CountBudget, encodingFor, MAX_BPE_PIECE_CHARS, observeBpeInput } from './tokens.js';

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

describe('providers: token counting of hostile input', () => {
  // Generous budgets: these tests are about counts and shapes, never about the clock.
  const roomy = () => new CountBudget(60_000);
  const seeded = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const randomText = (length: number, pick: (random: () => number) => string, seed = 7) => {
    const random = seeded(seed);
    let text = '';
    while (text.length < length) text += pick(random);
    return text.slice(0, length);
  };
  const js = { o200k_base: new Tiktoken(o200kRanks), cl100k_base: new Tiktoken(cl100kRanks) };
  const exact = (text: string, encoding: 'o200k_base' | 'cl100k_base') => js[encoding].encode(text, [], []).length;

  const PROSE = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const CODE = readFileSync(new URL('./client.ts', import.meta.url), 'utf8');

  it.each(['o200k_base', 'cl100k_base'] as const)('counts prose and code exactly as js-tiktoken does (%s)', (encoding) => {
    expect(countTextTokens(PROSE, encoding, roomy())).toBe(exact(PROSE, encoding));
    expect(countTextTokens(CODE, encoding, roomy())).toBe(exact(CODE, encoding));
    const mixed = 'Grüße, 世界! Ça va? Привет — 🚀 done.\n\tindent  two  spaces\r\n';
    expect(countTextTokens(mixed.repeat(50), encoding, roomy())).toBe(exact(mixed.repeat(50), encoding));
  });

  it('never hands the BPE a pre-token longer than the bound, whatever the input', () => {
    const inputs = [
      'a'.repeat(10_000),
      randomText(20_000, (r) => String.fromCodePoint(Math.floor(r() * 0xd7ff))),
      randomText(20_000, (r) => String.fromCodePoint(0x1f300 + Math.floor(r() * 512))),
      ' '.repeat(5_000) + 'x',
      '!@#$%^&*'.repeat(2_000),
      '1234567890'.repeat(2_000),
      `prefix ${'Zq'.repeat(3_000)} suffix`,
    ];
    const seen: string[] = [];
    observeBpeInput((text) => seen.push(text));
    try {
      for (const input of inputs) countTextTokens(input, 'o200k_base', roomy());
    } finally {
      observeBpeInput(null);
    }
    expect(seen.length).toBeGreaterThan(0);
    const split = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, O200K_TOKEN_SPLIT_REGEX.flags);
    const longest = Math.max(...seen.flatMap((text) => [...text.matchAll(split)].map((piece) => piece[0].length)));
    expect(longest).toBeLessThanOrEqual(MAX_BPE_PIECE_CHARS);
  });

  it('a pathological word stays close to its exact count (a cut costs at most a token)', () => {
    // js-tiktoken itself is quadratic here: a word it can count in well under a second.
    const word = 'abc'.repeat(400);
    const count = countTextTokens(word, 'o200k_base', roomy());
    expect(count).toBeGreaterThanOrEqual(exact(word, 'o200k_base'));
    expect(count).toBeLessThanOrEqual(exact(word, 'o200k_base') + Math.ceil(word.length / MAX_BPE_PIECE_CHARS));
  });

  it('text beyond the budget counts as its UTF-8 bytes, an upper bound of any BPE count', () => {
    const spent = new CountBudget(0);
    const text = randomText(200, (r) => String.fromCodePoint(0x4e00 + Math.floor(r() * 20_000)));
    expect(countTextTokens(text, 'o200k_base', spent)).toBe(Buffer.byteLength(text));
    expect(Buffer.byteLength(text)).toBeGreaterThanOrEqual(exact(text, 'o200k_base'));
    // A 16 MiB body is bounded without being split (the budget is a clock: 0 ms is already spent).
    const huge = 'lorem ipsum '.repeat(1_400_000);
    expect(countTextTokens(huge, 'o200k_base', new CountBudget(0))).toBe(huge.length);
  });

  it('counts special-token text as plain text instead of throwing', () => {
    expect(countTextTokens('<|endoftext|> and <|im_start|>', 'o200k_base', roomy())).toBe(exact('<|endoftext|> and <|im_start|>', 'o200k_base'));
  });

  it('counts every text the model reads: tools, functions, tool_choice, response_format, prediction', () => {
    const hidden = 'word '.repeat(2_000);
    const base = { messages: [{ role: 'user', content: 'hi' }] };
    const plain = countPromptTokens('chat.completions', base, 'o200k_base', roomy());
    const fields = {
      tools: [{ type: 'function', function: { name: 'f', description: hidden, parameters: { type: 'object' } } }],
      functions: [{ name: 'f', description: hidden }],
      tool_choice: { type: 'function', function: { name: hidden } },
      response_format: { type: 'json_schema', json_schema: { name: 's', schema: { description: hidden } } },
      prediction: { type: 'content', content: hidden },
    };
    for (const [field, value] of Object.entries(fields)) {
      const counted = countPromptTokens('chat.completions', { ...base, [field]: value }, 'o200k_base', roomy());
      expect(counted - plain, field).toBeGreaterThanOrEqual(2_000);
    }
    expect(countPromptTokens('chat.completions', { ...base, tool_choice: 'auto' }, 'o200k_base', roomy())).toBe(plain);
  });

  it('counts a Responses request as its chat equivalent would be: instructions, every input item, tools and the output format', () => {
    const hidden = 'word '.repeat(2_000);
    const base = { input: 'hi' };
    const plain = countPromptTokens('responses', base, 'o200k_base', roomy());
    expect(plain).toBe(countPromptTokens('chat.completions', { messages: [{ role: 'user', content: 'hi' }] }, 'o200k_base', roomy()));
    const fields = {
      instructions: hidden,
      input: [{ role: 'user', content: [{ type: 'input_text', text: hidden }] }],
      tools: [{ type: 'function', name: 'f', description: hidden, parameters: { type: 'object' } }],
      text: { format: { type: 'json_schema', name: 's', schema: { description: hidden } } },
    };
    for (const [field, value] of Object.entries(fields)) {
      const counted = countPromptTokens('responses', { ...base, [field]: value }, 'o200k_base', roomy());
      expect(counted - plain, field).toBeGreaterThanOrEqual(2_000);
    }
    const items = [
      { type: 'function_call', call_id: 'c', name: 'f', arguments: JSON.stringify({ q: hidden }) },
      { type: 'function_call_output', call_id: 'c', output: hidden },
    ];
    expect(countPromptTokens('responses', { input: items }, 'o200k_base', roomy())).toBeGreaterThanOrEqual(4_000);
  });
});
