import { describe, expect, it } from 'vitest';
import { readConversation, sessionKeyOf } from './conversation.js';

const opening = [
  { role: 'system', content: 'You are helpful.' },
  { role: 'user', content: 'Write a python function to parse dates' },
  { role: 'assistant', content: 'def parse(...): ...' },
  { role: 'user', content: 'It fails on ISO weeks' },
];

describe('routing: session keys', () => {
  it('has no session before the conversation has its opening', () => {
    expect(sessionKeyOf({ explicitId: null, callerId: 'key_a', user: null, messages: opening.slice(0, 3) })).toBeNull();
  });

  it('names a conversation by caller and opening, stable across its later turns', () => {
    const key = sessionKeyOf({ explicitId: null, callerId: 'key_a', user: null, messages: opening });
    const later = sessionKeyOf({
      explicitId: null,
      callerId: 'key_a',
      user: null,
      messages: [...opening, { role: 'assistant', content: 'fixed' }, { role: 'user', content: 'thanks' }],
    });
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(later).toBe(key);
  });

  it.each([
    ['another caller', { callerId: 'key_b' }],
    ['another end user', { user: 'someone' }],
    ['another opening', { messages: [...opening.slice(0, 3), { role: 'user', content: 'other' }] }],
  ])('separates %s', (_case, change) => {
    const base = { explicitId: null, callerId: 'key_a', user: null, messages: opening };
    expect(sessionKeyOf({ ...base, ...change })).not.toBe(sessionKeyOf(base));
  });

  it("uses the client's session id when given, even on the first turn, per caller", () => {
    const a = sessionKeyOf({ explicitId: 's1', callerId: 'key_a', user: null, messages: opening.slice(0, 2) });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(sessionKeyOf({ explicitId: 's1', callerId: 'key_b', user: null, messages: [] })).not.toBe(a);
  });
});

describe('routing: reading the last turn of a history', () => {
  it('takes the current and previous user texts and the last two assistant texts', () => {
    const turn = readConversation([
      ...opening,
      { role: 'assistant', content: 'Use isocalendar()' },
      { role: 'user', content: [{ type: 'text', text: 'thanks, that worked' }] },
    ]);
    expect(turn).toMatchObject({
      turnIndex: 2,
      userText: 'thanks, that worked',
      previousUserText: 'It fails on ISO weeks',
      assistantText: 'Use isocalendar()',
      previousAssistantText: 'def parse(...): ...',
      toolCalls: [],
      toolResults: [],
    });
  });

  it('splits tool calls into this turn and earlier ones, and reads failed results', () => {
    const call = (id: string, args: string) => ({ id, type: 'function', function: { name: 'run', arguments: args } });
    const turn = readConversation([
      { role: 'user', content: 'run the tests' },
      { role: 'assistant', content: null, tool_calls: [call('1', '{"cmd":"test"}')] },
      { role: 'tool', tool_call_id: '1', content: 'ok' },
      { role: 'user', content: 'again' },
      { role: 'assistant', content: null, tool_calls: [call('2', '{"cmd":"test"}')] },
      { role: 'tool', tool_call_id: '2', content: 'Error: tests failed' },
    ]);
    expect(turn.earlierToolCalls).toEqual(['run({"cmd":"test"})']);
    expect(turn.toolCalls).toEqual([{ name: 'run', args: '{"cmd":"test"}' }]);
    expect(turn.toolResults).toEqual([{ isError: true, content: 'Error: tests failed' }]);
  });

  it('caps texts and copes with malformed messages', () => {
    const turn = readConversation([null, 3, { role: 'user', content: 'x'.repeat(10_000) }]);
    expect(turn.userText).toHaveLength(4_000);
    expect(turn.assistantText).toBeNull();
  });
});
