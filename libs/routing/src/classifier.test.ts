import { describe, expect, it } from 'vitest';
import { CLASSIFIER_INPUT_CAP, CLASSIFIER_RULES, classifyRequest, lastUserText, REQUEST_TYPES } from './classifier.js';
import type { RequestType } from './classifier.js';

interface RuleCase {
  rule: number;
  positive: string[];
  /** Near misses: one word off, or the right words in the wrong place. All `general`. */
  negative: string[];
  expected: RequestType;
}

const RULE_CASES: RuleCase[] = [
  { rule: 1, expected: 'code_generation',
    positive: ['implement the rust version', 'Generate TypeScript types for this', 'build c++ bindings', 'write me go'],
    negative: ['rewrite python', 'write about pythons', 'build a gopher', 'write some python'] },
  { rule: 2, expected: 'code_generation',
    positive: ['create a small helper function', 'Build me a REST API', 'implement an endpoint', 'write one two three four script'],
    negative: ['write one two three four five function', 'generate a function', 'write a helper-function', 'rebuild the api'] },
  { rule: 3, expected: 'code_understanding',
    positive: ['Explain how this code works', 'walk me through this algorithm', 'What does this snippet do?', 'describe\nthe class'],
    negative: ['explain the encoder', 'explain quantum physics', 'walk me to the class'] },
  { rule: 4, expected: 'code_understanding',
    positive: ['Why does this throw an exception?', 'fix the bug', 'what\u2019s wrong with this traceback', "why isn't the stack trace shown", 'debug this error'],
    negative: ['fix my bugle', 'fixture error', 'why not the error', 'whats wrong with this bug'] },
  { rule: 5, expected: 'code_understanding',
    positive: ['review my pull request', 'Critique this diff', 'review pr 12', 'review the patch'],
    negative: ['review this long code', 'reviewer code', 'review your diff'] },
  { rule: 6, expected: 'technical_design',
    positive: ['design a notification service', 'plan the database migration', 'Architect a system for chat', 'architecture of the module'],
    negative: ['design a logo', 'planet system', 'designer schemas'] },
  { rule: 7, expected: 'technical_design',
    positive: ['should I use Postgres or MongoDB?', 'tradeoffs between kafka and nats', 'compare react and vue as a framework', 'should i pick a protocol'],
    negative: ['should I go home', 'compare apples and oranges', 'should I use frameworks', 'trade offs between sql engines'] },
  { rule: 8, expected: 'technical_design',
    positive: ['how should I structure my repo', 'How do I model this?', 'how do i  organize files'],
    negative: ['how do I cook rice', 'how should we structure it', 'how do I organise files'] },
  { rule: 9, expected: 'analytical_reasoning',
    positive: ['solve this equation', 'prove the theorem', 'calculate the answer to this problem', 'derive the integral'],
    negative: ['solve my life', 'resolve the problem', 'compute resources'] },
  { rule: 10, expected: 'analytical_reasoning',
    positive: ['if it rains then we stay', 'given a list, find the max', 'suppose we double it', 'Assume x'],
    negative: ['iffy thenceforth', 'supposedly', 'given this', 'assumed'] },
  { rule: 11, expected: 'analytical_reasoning',
    positive: ['probability of two heads', 'statistics homework', 'an optimization problem', 'COMBINATORICS'],
    negative: ['probabilities', 'optimization', 'statistical'] },
  { rule: 12, expected: 'writing',
    positive: ['draft an email to my landlord', 'proofread this paragraph', 'polish my blog post', 'compose a letter'],
    negative: ['draft beer emails', 'polish sausage', 'edited letters'] },
  { rule: 13, expected: 'writing',
    positive: ['make this more concise', 'Make it formal', 'help me less casual', 'make it more persuasive'],
    negative: ['make this concisely', 'make this much more formal', 'make them formal'] },
  { rule: 14, expected: 'factual_lookup',
    positive: ['Who was Ada Lovelace?', '  what is a monad', 'Where are the keys', 'which were first'],
    negative: ['tell me who was first', 'whom is it', 'what it is'] },
  { rule: 15, expected: 'factual_lookup',
    positive: ['define entropy', 'Meaning of life', 'definition of done'],
    negative: ['please define entropy', 'defined', 'the meaning of life'] },
  { rule: 16, expected: 'factual_lookup',
    positive: ['how do you spell necessary', 'How many moons are there around Mars?', 'how tall is the Eiffel tower', 'how to spell it'],
    negative: ['how many moons does mars have', 'so how tall is it', 'how do you spellcheck'] },
];

describe('routing: classifier rules', () => {
  it('routing: has the sixteen rules of the spec and seven types', () => {
    expect(CLASSIFIER_RULES).toHaveLength(16);
    expect(REQUEST_TYPES).toHaveLength(7);
    expect(RULE_CASES.map((c) => CLASSIFIER_RULES[c.rule - 1]!.type)).toEqual(RULE_CASES.map((c) => c.expected));
  });

  it.each(RULE_CASES.flatMap((c) => c.positive.map((text) => ({ rule: c.rule, text, expected: c.expected }))))(
    'routing: rule $rule matches $text',
    ({ rule, text, expected }) => {
      expect(CLASSIFIER_RULES[rule - 1]!.pattern.test(text)).toBe(true);
      expect(classifyRequest(text)).toBe(expected);
    },
  );

  it.each(RULE_CASES.flatMap((c) => c.negative.map((text) => ({ rule: c.rule, text }))))(
    'routing: rule $rule does not match the near miss $text',
    ({ rule, text }) => {
      expect(CLASSIFIER_RULES[rule - 1]!.pattern.test(text)).toBe(false);
      expect(classifyRequest(text)).toBe('general');
    },
  );
});

describe('routing: classifier ordering and fallbacks', () => {
  it.each([
    { text: 'Write a Python script that computes a probability', expected: 'code_generation', rules: [1, 11] },
    { text: 'What is the probability of two sixes?', expected: 'analytical_reasoning', rules: [11, 14] },
    { text: 'design an API and write a python client', expected: 'code_generation', rules: [1, 6] },
    { text: 'write an essay about the function of art', expected: 'code_generation', rules: [2, 12] },
    { text: 'Who is the best person to review my pull request?', expected: 'code_understanding', rules: [5, 14] },
    { text: 'should I use redis if the cache then grows?', expected: 'technical_design', rules: [7, 10] },
  ] as const)('routing: $text matches rules $rules and gets the earlier one', ({ text, expected, rules }) => {
    for (const rule of rules) expect(CLASSIFIER_RULES[rule - 1]!.pattern.test(text)).toBe(true);
    expect(classifyRequest(text)).toBe(expected);
  });

  it.each(['', '   \n\t', 'hello there', 'tell me a joke'])('routing: %j is general', (text) => {
    expect(classifyRequest(text)).toBe('general');
  });
});

describe('routing: classifier input cap', () => {
  it('routing: a match only after the first 2,000 characters is not seen', () => {
    expect(classifyRequest(`${'x '.repeat(1_000)}write python`)).toBe('general');
    expect(classifyRequest(`${'x '.repeat(990)}write python`)).toBe('code_generation');
  });

  it('routing: a gap rule whose second word lies past the cap does not match', () => {
    const text = `solve this${' '.repeat(CLASSIFIER_INPUT_CAP)}equation`;
    expect(classifyRequest(text)).toBe('general');
  });

  it('routing: a word ending exactly at the cap matches, one character later it is cut', () => {
    expect(classifyRequest(`${' '.repeat(CLASSIFIER_INPUT_CAP - 6)}define`)).toBe('factual_lookup');
    expect(classifyRequest(`${' '.repeat(CLASSIFIER_INPUT_CAP - 5)}define`)).toBe('general');
  });

  it('routing: a pathological input stays fast', () => {
    const text = 'explain '.repeat(10_000);
    const started = performance.now();
    expect(classifyRequest(text)).toBe('general');
    expect(performance.now() - started).toBeLessThan(250);
  });
});

describe('routing: classifier unicode', () => {
  it.each([
    { text: 'écrire un programme en python', expected: 'general' },
    { text: 'designé une api', expected: 'general' },
    { text: 'design\u0301 une api', expected: 'general' },
    { text: 'Übuild python', expected: 'general' },
    { text: 'напиши python', expected: 'general' },
    { text: '请帮我写一个Python函数', expected: 'general' },
    { text: 'このコードを説明してください', expected: 'general' },
    { text: '🚀🔥💯', expected: 'general' },
    { text: '🚀write python🚀', expected: 'code_generation' },
    { text: 'Résumé: write a python tool', expected: 'code_generation' },
    { text: 'WRITE PYTHON', expected: 'code_generation' },
    { text: `${'a'.repeat(CLASSIFIER_INPUT_CAP - 1)}😀`, expected: 'general' },
  ] as const)('routing: $text is $expected', ({ text, expected }) => {
    expect(classifyRequest(text)).toBe(expected);
  });
});

describe('routing: lastUserText', () => {
  it.each([
    { name: 'string content', messages: [{ role: 'user', content: 'hi' }], expected: 'hi' },
    {
      name: 'the last user message',
      messages: [{ role: 'user', content: 'first' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'second' }, { role: 'tool', content: 'x' }],
      expected: 'second',
    },
    {
      name: 'the first text part of a list',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }, { type: 'text', text: 'one' }, { type: 'text', text: 'two' }] }],
      expected: 'one',
    },
    { name: 'empty when the last user message has no text', messages: [{ role: 'user', content: 'old' }, { role: 'user', content: [{ type: 'image_url' }] }], expected: '' },
    { name: 'empty without a user message', messages: [{ role: 'system', content: 'be nice' }], expected: '' },
    { name: 'non-objects skipped', messages: [{ role: 'user', content: 'kept' }, null, 'user', 3], expected: 'kept' },
    { name: 'null content', messages: [{ role: 'user', content: null }], expected: '' },
    { name: 'no messages', messages: [], expected: '' },
  ])('routing: $name', ({ messages, expected }) => {
    expect(lastUserText(messages)).toBe(expected);
  });
});
