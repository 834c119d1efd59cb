import { describe, expect, it } from 'vitest';
import { ProviderStreamError, type StreamEvent } from '../types.js';
import { chatRequestToGemini } from './request.js';
import { generateContentToChat, usageOfGemini } from './response.js';
import { GeminiStreamTranslator } from './stream.js';

const usageMetadata = { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 3, cachedContentTokenCount: 4, totalTokenCount: 18 };

describe('providers: gemini response map', () => {
  it('providers: gemini text, thoughts and function calls become one OpenAI choice with tool_calls', () => {
    const { body, usage } = generateContentToChat(
      {
        candidates: [
          {
            content: { role: 'model', parts: [{ text: 'thinking...', thought: true }, { text: 'Let me check.' }, { functionCall: { name: 'weather', args: { city: 'Oslo' } } }] },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata,
        modelVersion: 'gemini-2.5-flash-001',
        responseId: 'resp-1',
      },
      'gemini-2.5-flash',
      1000,
    );
    expect(body).toEqual({
      id: 'resp-1',
      object: 'chat.completion',
      created: 1000,
      model: 'gemini-2.5-flash-001',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Let me check.',
            refusal: null,
            reasoning_content: 'thinking...',
            tool_calls: [{ id: expect.stringMatching(/^call_[0-9a-f]{24}$/), type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 3 } },
    });
    expect(usage?.total_tokens).toBe(18);
  });

  it.each([
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', 'stop'],
    ['SOMETHING_NEW', 'stop'],
  ])('providers: gemini finishReason %s is finish_reason %s', (reason, finish) => {
    const { body } = generateContentToChat({ candidates: [{ content: { parts: [{ text: 'x' }] }, finishReason: reason }] }, 'm');
    expect((body.choices as Array<{ finish_reason: string }>)[0]!.finish_reason).toBe(finish);
  });

  it('providers: gemini a blocked prompt (no candidate) is one empty content_filter choice', () => {
    const { body } = generateContentToChat({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 3, totalTokenCount: 3 } }, 'm');
    expect(body.choices).toEqual([{ index: 0, message: { role: 'assistant', content: null, refusal: null }, finish_reason: 'content_filter', logprobs: null }]);
    expect(body.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 });
  });

  it('providers: gemini usage without metadata is null, not zeros', () => {
    expect(usageOfGemini(undefined)).toBeNull();
  });
});

const sse = (payload: unknown) => ({ event: undefined, data: JSON.stringify(payload) });
const chunks = (events: StreamEvent[]) => events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data) as Record<string, unknown>);

describe('providers: gemini stream translator', () => {
  it('providers: gemini stream: text deltas, a whole function call as one tool-call delta, the finish, then one usage chunk and [DONE]', () => {
    const t = new GeminiStreamTranslator('dep/1', 'gemini-2.5-flash');
    const out = [
      ...t.push(sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Let ' }] } }], usageMetadata: { promptTokenCount: 10 }, responseId: 'r1' })),
      ...t.push(sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'me check.' }] } }] })),
      ...t.push(sse({ candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Oslo' } } }, { functionCall: { name: 'time', args: {} } }] }, finishReason: 'STOP' }], usageMetadata })),
      ...t.end(),
    ];
    const parsed = chunks(out);
    expect(parsed.every((c) => c.id === 'r1' && c.object === 'chat.completion.chunk')).toBe(true);
    const deltas = parsed.map((c) => (c.choices as Array<{ delta: Record<string, unknown>; finish_reason: string | null }>)[0]);
    expect(deltas[0]!.delta).toEqual({ role: 'assistant', content: 'Let ' });
    expect(deltas[1]!.delta).toEqual({ content: 'me check.' });
    expect(deltas[2]!.delta).toEqual({ tool_calls: [{ index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] });
    expect(deltas[3]!.delta).toMatchObject({ tool_calls: [{ index: 1, function: { name: 'time', arguments: '{}' } }] });
    expect(deltas[4]).toMatchObject({ delta: {}, finish_reason: 'tool_calls' });
    expect(parsed[5]).toMatchObject({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18 } });
    expect(out.filter((e) => e.usage !== null)).toHaveLength(1);
    expect(out.at(-2)!.usageOnly).toBe(true);
    expect(out.at(-1)!.data).toBe('[DONE]');
  });

  it('providers: gemini stream cut before any finishReason is a broken stream, not a short answer', () => {
    const t = new GeminiStreamTranslator('dep/1', 'm');
    t.push(sse({ candidates: [{ content: { parts: [{ text: 'Half an ans' }] } }] }));
    expect(() => t.end()).toThrow(ProviderStreamError);
  });

  it('providers: gemini stream: an error object mid-stream and a frame that is not JSON end the stream as broken', () => {
    expect(() => new GeminiStreamTranslator('d', 'm').push(sse({ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } }))).toThrow(/UNAVAILABLE/);
    expect(() => new GeminiStreamTranslator('d', 'm').push({ event: undefined, data: '{"candidates": [' })).toThrow(ProviderStreamError);
  });

  it('providers: gemini stream: a finish without text still opens the assistant turn', () => {
    const t = new GeminiStreamTranslator('d', 'm');
    const parsed = chunks([...t.push(sse({ candidates: [{ content: { parts: [] }, finishReason: 'MAX_TOKENS' }] })), ...t.end()]);
    expect(parsed.map((c) => (c.choices as Array<{ delta: unknown; finish_reason: unknown }>)[0])).toEqual([
      expect.objectContaining({ delta: { role: 'assistant', content: '' } }),
      expect.objectContaining({ delta: {}, finish_reason: 'length' }),
    ]);
  });
});

describe('providers: gemini thought signatures', () => {
  it('providers: gemini a functionCall\'s thoughtSignature rides in the tool call id and goes back on the next turn, as LiteLLM carries it', () => {
    const { body } = generateContentToChat({ candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: {} }, thoughtSignature: 'CiQB4/H+sig==' }] }, finishReason: 'STOP' }] }, 'gemini-3-pro-preview');
    const call = (body.choices as Array<{ message: { tool_calls: Array<{ id: string; function: { name: string; arguments: string } }> } }>)[0]!.message.tool_calls[0]!;
    expect(call.id).toMatch(/^call_[0-9a-f]+__thought__CiQB4\/H\+sig==$/);
    const next = chatRequestToGemini(
      {
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: call.function }] },
          { role: 'tool', tool_call_id: call.id, content: 'done' },
        ],
      },
      { dropParams: false },
    );
    expect((next.contents as Array<{ parts: unknown[] }>)[1]!.parts).toEqual([{ functionCall: { name: 'f', args: {} }, thoughtSignature: 'CiQB4/H+sig==' }]);
  });
});
