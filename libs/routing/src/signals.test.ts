import { describe, expect, it } from 'vitest';
import {
  cellTypeFor,
  deltasFor,
  detectSignals,
  jaccard,
  newSessionSignalState,
  SIGNAL_DEFAULTS,
  SIGNAL_NAMES,
  sessionSignalStateSchema,
  signalSetSchema,
  tokenSet,
  toolCallSignature,
  turnInputSchema,
} from './signals.js';
import type { SessionSignalState, SignalSet, ToolCall, TurnInput } from './signals.js';

function turn(overrides: Partial<TurnInput> = {}): TurnInput {
  return { turnIndex: 1, requestType: 'general', userText: '', assistantText: null, toolCalls: [], toolResults: [], status: null, ...overrides };
}

function state(overrides: Partial<SessionSignalState> = {}): SessionSignalState {
  return { ...newSessionSignalState(), ...overrides };
}

/** `count` distinct words: `words(3, 'a')` is "a1 a2 a3". */
function words(count: number, prefix: string): string {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`).join(' ');
}

/** Two texts with `shared` common tokens and `onlyA` / `onlyB` of their own: J = shared / (shared + onlyA + onlyB). */
function pair(shared: number, onlyA: number, onlyB: number): [string, string] {
  return [`${words(shared, 's')} ${words(onlyA, 'a')}`, `${words(shared, 's')} ${words(onlyB, 'b')}`];
}

const NO_SIGNALS: SignalSet = {
  misalignment: false, stagnation: false, disengagement: false, satisfaction: false, failure: false, loop: false, exhaustion: false,
};

describe('routing: signal tokens and jaccard', () => {
  it.each([
    { text: 'Hello, hello WORLD 42!', tokens: ['hello', 'world', '42'] },
    { text: 'Über café déjà-vu', tokens: ['über', 'café', 'déjà', 'vu'] },
    { text: 'cafe\u0301', tokens: ['café'] },
    { text: 'नमस्ते दुनिया', tokens: ['नमस्ते', 'दुनिया'] },
    { text: '東京 と 大阪', tokens: ['東京', 'と', '大阪'] },
    { text: 'ПРИВЕТ мир', tokens: ['привет', 'мир'] },
    { text: '🚀 -- 🔥', tokens: [] },
    { text: 'snake_case', tokens: ['snake', 'case'] },
  ])('routing: tokenSet($text)', ({ text, tokens }) => {
    expect([...tokenSet(text)]).toEqual(tokens);
  });

  it.each([
    { a: '', b: '', expected: 0 },
    { a: 'x', b: '', expected: 0 },
    { a: 'a b', b: 'b a', expected: 1 },
    { a: 'a b c', b: 'c d', expected: 0.25 },
    { a: 'a', b: 'b', expected: 0 },
  ])('routing: jaccard($a, $b) = $expected', ({ a, b, expected }) => {
    expect(jaccard(tokenSet(a), tokenSet(b))).toBe(expected);
    expect(jaccard(tokenSet(b), tokenSet(a))).toBe(expected);
  });
});

describe('routing: misalignment and stagnation', () => {
  it.each([
    { name: 'J = 0.40 (reworded)', texts: pair(8, 6, 6), fires: true },
    { name: 'J = 0.30 exactly', texts: pair(3, 4, 3), fires: true },
    { name: 'J = 0.25 (a follow-up sharing a word)', texts: pair(1, 2, 1), fires: false },
    { name: 'J = 0.05', texts: pair(1, 10, 9), fires: false },
    { name: 'J = 0 (new topic)', texts: pair(0, 3, 3), fires: false },
    { name: 'J = 1 (the same request again)', texts: pair(4, 0, 0), fires: true },
    { name: 'J = 1 but two content words', texts: pair(2, 0, 0), fires: false },
  ])('routing: misalignment by rewording at $name fires: $fires', ({ texts: [previous, current], fires }) => {
    const { signals } = detectSignals(turn({ userText: current }), state({ previousUserText: previous }));
    expect(signals.misalignment).toBe(fires);
  });

  it.each([
    { previous: 'Write a Python function that checks that a number is prime.', current: 'thanks, that worked perfectly', fires: false },
    { previous: 'Can you make that function faster?', current: 'that is much faster, thanks', fires: false },
    { previous: 'Write a function that validates an IBAN.', current: 'not perfect, it accepts any string', fires: true },
    { previous: 'Fix the memory leak.', current: 'thanks, but it still leaks', fires: true },
    { previous: 'Parse the dates.', current: "this isn't working", fires: true },
    { previous: 'Translate "Feierabend".', current: 'Nein, das meinte ich nicht.', fires: true },
    { previous: 'Calcule 15 % de 240.', current: 'non merci', fires: false },
    { previous: 'Fix the build.', current: 'never mind, forget it, this is not working', fires: false },
    { previous: 'Explain AbortController.', current: 'Can I abort a request after a timeout with it?', fires: false },
  ])('routing: misalignment on $current fires: $fires', ({ previous, current, fires }) => {
    expect(detectSignals(turn({ userText: current }), state({ previousUserText: previous })).signals.misalignment).toBe(fires);
  });

  it.each([
    { name: 'no previous user text', previous: null, current: 'a b' },
    { name: 'an empty current user text', previous: 'a b', current: '   ' },
  ])('routing: misalignment needs both texts: $name', ({ previous, current }) => {
    expect(detectSignals(turn({ userText: current }), state({ previousUserText: previous })).signals.misalignment).toBe(false);
  });

  it.each([
    { name: 'J = 1', texts: pair(5, 0, 0), complained: false, fires: true },
    { name: 'J = 0.95 exactly', texts: pair(19, 1, 0), complained: false, fires: true },
    { name: 'J = 0.90 without a complaint (a requested edit)', texts: pair(9, 1, 0), complained: false, fires: false },
    { name: 'J = 0.80 after a complaint', texts: pair(8, 1, 1), complained: true, fires: true },
    { name: 'J = 0.60 after a complaint (a real correction)', texts: pair(6, 2, 2), complained: true, fires: false },
    { name: 'J = 0', texts: pair(0, 2, 2), complained: true, fires: false },
  ])('routing: stagnation at $name fires: $fires', ({ texts: [previous, current], complained, fires }) => {
    const previousUserText = complained ? 'that is wrong' : 'now in bold';
    const { signals } = detectSignals(turn({ assistantText: current }), state({ previousAssistantText: previous, previousUserText }));
    expect(signals.stagnation).toBe(fires);
  });

  it.each([
    { name: 'no previous assistant text', previous: null, current: 'same words' },
    { name: 'no current assistant text', previous: 'same words', current: null },
  ])('routing: stagnation needs both texts: $name', ({ previous, current }) => {
    expect(detectSignals(turn({ assistantText: current }), state({ previousAssistantText: previous })).signals.stagnation).toBe(false);
  });

  it('routing: the texts of this turn become the previous texts, cut to the compared cap', () => {
    const long = 'x'.repeat(SIGNAL_DEFAULTS.comparedTextCap + 10);
    const { next } = detectSignals(turn({ userText: long, assistantText: 'answer' }), state({ previousUserText: 'old' }));
    expect(next.previousUserText).toHaveLength(SIGNAL_DEFAULTS.comparedTextCap);
    expect(next.previousAssistantText).toBe('answer');
    expect(detectSignals(turn({ userText: '' }), next).next.previousUserText).toBeNull();
  });
});

describe('routing: disengagement and satisfaction', () => {
  it.each([
    'forget it', 'Never   mind.', 'I give up', 'let me talk to a human', 'cancel', 'Vergiss es.', 'Déjalo, no importa',
    'laisse tomber', 'STOP', 'abort!', "fine, I\u2019ll do it myself", 'stop, stop',
  ])('routing: disengagement fires on %j', (text) => {
    expect(detectSignals(turn({ userText: text }), state()).signals.disengagement).toBe(true);
  });

  it.each([
    'stopwatch', 'cancellation', 'unstoppable', 'forget', 'giver up', 'aborted', 'stopé', 'how do I stop a docker container?',
    'How do I cancel a subscription through the API?', 'make it give up after 30 seconds',
  ])(
    'routing: disengagement does not fire on the near miss %j',
    (text) => {
      expect(detectSignals(turn({ userText: text }), state()).signals.disengagement).toBe(false);
    },
  );

  it.each([
    'that worked', 'That did it!', 'works now', 'fixed it', 'solved it', 'nice', 'thanks', 'Thank you', 'thx',
    'much appreciated', 'perfect', 'great', 'excellent', 'exactly', 'Danke, das hat funktioniert!', '¡Perfecto, gracias!', 'Parfait, merci',
    'ありがとうございます', 'works, thanks. Can you add a healthcheck?',
  ])('routing: satisfaction fires on %j from the second turn', (text) => {
    expect(detectSignals(turn({ userText: text, turnIndex: 1 }), state()).signals.satisfaction).toBe(true);
  });

  it.each([
    'thanksgiving', 'greatest', 'nicely', 'thank god', 'inexactly', 'perfection', 'not perfect', 'no thanks', 'thanks, but it still fails',
    'Could you also add type hints? Thanks in advance.', 'Can you give an example? thank you', 'non merci', 'merci quand même, je vais le faire moi-même',
  ])(
    'routing: satisfaction does not fire on the near miss %j',
    (text) => {
      expect(detectSignals(turn({ userText: text, turnIndex: 5 }), state()).signals.satisfaction).toBe(false);
    },
  );

  it.each([
    { turnIndex: 0, fires: false },
    { turnIndex: 1, fires: true },
    { turnIndex: 2, fires: true },
    { turnIndex: 7, fires: true },
  ])('routing: satisfaction at turn index $turnIndex fires: $fires', ({ turnIndex, fires }) => {
    const { signals, next } = detectSignals(turn({ userText: 'thanks', turnIndex }), state());
    expect(signals.satisfaction).toBe(fires);
    expect(next.satisfactionCredited).toBe(fires);
  });

  it('routing: satisfaction is credited once per session', () => {
    let session = state();
    const fired: boolean[] = [];
    for (let turnIndex = 0; turnIndex < 6; turnIndex++) {
      const result = detectSignals(turn({ userText: 'perfect, thanks', turnIndex }), session);
      fired.push(result.signals.satisfaction);
      session = result.next;
    }
    expect(fired).toEqual([false, true, false, false, false, false]);
  });
});

describe('routing: failure, loop and exhaustion', () => {
  it.each([
    { name: 'no results', results: [], fires: false },
    { name: 'only successes', results: [{ isError: false, content: 'ok' }], fires: false },
    { name: 'one error among successes', results: [{ isError: false, content: 'ok' }, { isError: true, content: 'boom' }], fires: true },
  ])('routing: failure with $name fires: $fires', ({ results, fires }) => {
    expect(detectSignals(turn({ toolResults: results }), state()).signals.failure).toBe(fires);
  });

  const search: ToolCall = { name: 'search', args: { q: 'x', page: 1 } };
  const other = (i: number): ToolCall => ({ name: 'read', args: { file: `f${i}` } });

  it.each([
    { name: 'the second identical call', calls: [search, search], fires: false },
    { name: 'the third identical call', calls: [search, search, search], fires: true },
    { name: 'the third call after 18 others (still in the window of 20)', calls: [search, search, ...Array.from({ length: 18 }, (_, i) => other(i)), search], fires: true },
    { name: 'the third call after 19 others (first one left the window)', calls: [search, search, ...Array.from({ length: 19 }, (_, i) => other(i)), search], fires: false },
    { name: 'three calls with different arguments', calls: [search, { name: 'search', args: { q: 'y', page: 1 } }, { name: 'search', args: { q: 'z' } }], fires: false },
  ])('routing: loop on $name fires: $fires', ({ calls, fires }) => {
    expect(detectSignals(turn({ toolCalls: calls }), state()).signals.loop).toBe(fires);
  });

  it('routing: loop counts calls across turns through the session state', () => {
    const first = detectSignals(turn({ toolCalls: [search, search] }), state());
    expect(first.signals.loop).toBe(false);
    const second = detectSignals(turn({ toolCalls: [{ name: 'search', args: '{"page":1,"q":"x"}' }] }), first.next);
    expect(second.signals.loop).toBe(true);
  });

  it('routing: the tool-call history keeps the last 20 signatures', () => {
    const calls = Array.from({ length: 25 }, (_, i) => other(i));
    const { next } = detectSignals(turn({ toolCalls: calls }), state());
    expect(next.toolCallHistory).toHaveLength(SIGNAL_DEFAULTS.toolCallWindow);
    expect(next.toolCallHistory[0]).toBe(toolCallSignature(other(5)));
  });

  it.each([
    { name: 'key order', a: { name: 't', args: { b: 1, a: { d: 2, c: 3 } } }, b: { name: 't', args: { a: { c: 3, d: 2 }, b: 1 } }, same: true },
    { name: 'JSON string and object', a: { name: 't', args: '{"b":1,"a":2}' }, b: { name: 't', args: { a: 2, b: 1 } }, same: true },
    { name: 'another name', a: { name: 't', args: {} }, b: { name: 'u', args: {} }, same: false },
    { name: 'array order', a: { name: 't', args: [1, 2] }, b: { name: 't', args: [2, 1] }, same: false },
    { name: 'invalid JSON kept raw', a: { name: 't', args: '{oops' }, b: { name: 't', args: '{oops' }, same: true },
  ])('routing: tool-call signatures by $name: same $same', ({ a, b, same }) => {
    expect(toolCallSignature(a) === toolCallSignature(b)).toBe(same);
  });

  it.each([408, 413, 429, 503, 504])('routing: exhaustion fires on status %i', (status) => {
    expect(detectSignals(turn({ status }), state()).signals.exhaustion).toBe(true);
  });

  it.each([200, 400, 404, 500, 502, null])('routing: exhaustion does not fire on status %s', (status) => {
    expect(detectSignals(turn({ status }), state()).signals.exhaustion).toBe(false);
  });

  it.each([
    'maximum context length is 8192 tokens', 'exceeds the context window', 'Token limit reached', 'rate limit exceeded',
    '429 Too Many Requests', 'request timeout', 'RateLimitError', 'context_length_exceeded', 'ReadTimeout', 'too-many-requests',
  ])('routing: exhaustion fires on tool output %j', (content) => {
    expect(detectSignals(turn({ toolResults: [{ isError: false, content }] }), state()).signals.exhaustion).toBe(true);
  });

  it.each(['context missing', 'limit is 5', 'the token was invalid', 'time out', 'window closed', 'rate this'])(
    'routing: exhaustion does not fire on tool output %j',
    (content) => {
      expect(detectSignals(turn({ toolResults: [{ isError: true, content }] }), state()).signals.exhaustion).toBe(false);
    },
  );
});

describe('routing: deltas and cells', () => {
  it.each([
    { fired: [], alpha: 0, beta: 0 },
    { fired: ['satisfaction'], alpha: 1, beta: 0 },
    { fired: ['misalignment'], alpha: 0, beta: 1 },
    { fired: ['stagnation'], alpha: 0, beta: 1 },
    { fired: ['disengagement'], alpha: 0, beta: 1 },
    { fired: ['failure'], alpha: 0, beta: 1 },
    { fired: ['loop'], alpha: 0, beta: 0.5 },
    { fired: ['exhaustion'], alpha: 0, beta: 0 },
    { fired: [...SIGNAL_NAMES], alpha: 1, beta: 4.5 },
  ] as const)('routing: deltas for $fired are alpha $alpha, beta $beta', ({ fired, alpha, beta }) => {
    const signals: SignalSet = { ...NO_SIGNALS, ...Object.fromEntries(fired.map((name) => [name, true])) };
    expect(deltasFor(signals)).toEqual({ alpha, beta });
  });

  it.each([
    { turnType: 'code_generation', first: 'writing', expected: 'code_generation' },
    { turnType: 'general', first: 'writing', expected: 'writing' },
    { turnType: 'general', first: null, expected: 'general' },
    { turnType: 'general', first: 'general', expected: 'general' },
  ] as const)('routing: a $turnType turn of a session first typed $first updates $expected', ({ turnType, first, expected }) => {
    expect(cellTypeFor(turnType, { firstRequestType: first })).toBe(expected);
  });

  it('routing: the first request type and the turn count are kept by the state', () => {
    const first = detectSignals(turn({ requestType: 'technical_design' }), state());
    const second = detectSignals(turn({ requestType: 'writing' }), first.next);
    expect(second.next).toMatchObject({ firstRequestType: 'technical_design', turnCount: 2 });
  });
});

describe('routing: signal schemas', () => {
  it('routing: the session state survives a JSON round trip through its schema', () => {
    const { next } = detectSignals(
      turn({ userText: 'hi', assistantText: 'hello', requestType: 'writing', toolCalls: [{ name: 'x', args: { a: 1 } }] }),
      state(),
    );
    expect(sessionSignalStateSchema.parse(JSON.parse(JSON.stringify(next)))).toEqual(next);
  });

  it('routing: a state with more than 20 signatures or an unknown type is rejected', () => {
    expect(sessionSignalStateSchema.safeParse(state({ toolCallHistory: Array.from({ length: 21 }, () => 'x') })).success).toBe(false);
    expect(sessionSignalStateSchema.safeParse({ ...state(), firstRequestType: 'poetry' }).success).toBe(false);
  });

  it('routing: a turn input parses and the signal set schema names the seven signals', () => {
    expect(turnInputSchema.parse(turn({ status: 429 }))).toEqual(turn({ status: 429 }));
    expect(turnInputSchema.safeParse({ ...turn(), turnIndex: -1 }).success).toBe(false);
    expect(Object.keys(signalSetSchema.shape)).toEqual([...SIGNAL_NAMES]);
  });
});
