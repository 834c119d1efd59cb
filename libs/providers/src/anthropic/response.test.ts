import { describe, expect, it } from 'vitest';
import { messageToChatResponse, usageOfAnthropic } from './response.js';
import { AnthropicStreamTranslator } from './stream.js';

describe('providers: anthropic response and stream', () => {
  it('providers: anthropic message -> chat completion with tool calls, reasoning and cached usage', () => {
    const { body, usage } = messageToChatResponse(
      {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 'sig' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } },
        ],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 },
      },
      false,
      1,
    );
    expect(body).toEqual({
      id: 'msg_1',
      object: 'chat.completion',
      created: 1,
      model: 'claude-sonnet-4-5',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Checking.',
            refusal: null,
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
            reasoning_content: 'hmm',
            thinking_blocks: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }],
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
      usage,
    });
    expect(usage).toMatchObject({ prompt_tokens: 130, completion_tokens: 5, total_tokens: 135, prompt_tokens_details: { cached_tokens: 100 } });
  });

  it('providers: anthropic json mode turns the forced tool input into content', () => {
    const { body } = messageToChatResponse(
      { content: [{ type: 'tool_use', id: 't', name: 'json_tool_call', input: { answer: 'yes' } }], stop_reason: 'tool_use', usage: { input_tokens: 1, output_tokens: 1 } },
      true,
    );
    expect((body.choices as Array<{ message: unknown; finish_reason: string }>)[0]).toEqual({ index: 0, message: { role: 'assistant', content: '{"answer":"yes"}', refusal: null }, finish_reason: 'stop', logprobs: null });
  });

  it('providers: anthropic usage without cache fields', () => {
    expect(usageOfAnthropic({ input_tokens: 3, output_tokens: 4 })).toMatchObject({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    expect(usageOfAnthropic(null)).toBeNull();
  });

  it('providers: anthropic stream events become OpenAI chunks: text, tool call deltas, finish reason, usage, [DONE]', () => {
    const translator = new AnthropicStreamTranslator('d1', false);
    const events: Array<[string, unknown]> = [
      ['message_start', { type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 12, output_tokens: 1, cache_read_input_tokens: 3 } } }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['ping', { type: 'ping' }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'weather', input: {} } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Oslo"}' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } }],
      ['message_stop', { type: 'message_stop' }],
    ];
    const out = events.flatMap(([event, data]) => translator.push({ event, data: JSON.stringify(data) })).concat(translator.end());
    const chunks = out.slice(0, -1).map((event) => JSON.parse(event.data) as { choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>; usage?: unknown });
    expect(chunks.map((chunk) => chunk.choices[0]?.delta ?? null)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hi' },
      { tool_calls: [{ index: 0, id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] },
      {},
      null,
    ]);
    expect(chunks[5]!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(out.at(-2)).toMatchObject({ usageOnly: true, usage: { prompt_tokens: 15, completion_tokens: 9, total_tokens: 24, prompt_tokens_details: { cached_tokens: 3 } } });
    expect(out.at(-1)!.data).toBe('[DONE]');
  });

  it('providers: anthropic stream cut before message_stop is a broken stream, not a short answer', () => {
    const translator = new AnthropicStreamTranslator('d1', false);
    translator.push({ event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { id: 'm', model: 'c', usage: { input_tokens: 1, output_tokens: 1 } } }) });
    translator.push({ event: 'content_block_delta', data: JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Half' } }) });
    expect(() => translator.end()).toThrow(/ended before Anthropic's message_stop/);
  });

  it('providers: anthropic stream error event breaks the stream', () => {
    const translator = new AnthropicStreamTranslator('d1', false);
    expect(() => translator.push({ event: 'error', data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' })).toThrow(/overloaded_error/);
  });
});
