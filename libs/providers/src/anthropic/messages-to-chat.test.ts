import { describe, expect, it } from 'vitest';
import { ChatToMessagesStream } from './chat-stream-to-messages.js';
import { anthropicUsageOf, chatResponseToMessage, messagesRequestToChat } from './messages-to-chat.js';
import { MESSAGES_PASSTHROUGH } from './passthrough.js';

describe('providers: Anthropic messages <-> OpenAI chat', () => {
  it('providers: a messages request with system, images, tool use and results becomes an OpenAI chat request', () => {
    const chat = messagesRequestToChat({
      model: 'claude',
      max_tokens: 100,
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAA=' } }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Calling.' }, { type: 'tool_use', id: 'toolu_1', name: 'see', input: { a: 1 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'a cat' }] }, { type: 'text', text: 'so?' }] },
      ],
      tools: [{ name: 'see', description: 'See', input_schema: { type: 'object', properties: {} } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
      temperature: 0.5,
      top_k: 5,
      stream: true,
    });
    expect(chat).toEqual({
      model: 'claude',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA=' } }] },
        { role: 'assistant', content: 'Calling.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'see', arguments: '{"a":1}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'a cat' },
        { role: 'user', content: 'so?' },
      ],
      max_tokens: 100,
      temperature: 0.5,
      stream: true,
      stop: ['END'],
      user: 'u1',
      tools: [{ type: 'function', function: { name: 'see', description: 'See', parameters: { type: 'object', properties: {} } } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
  });

  it('providers: server tools are left out for an OpenAI server, and tool_choice with them', () => {
    const chat = messagesRequestToChat({
      model: 'c',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }],
      tool_choice: { type: 'auto' },
    });
    expect(chat).toEqual({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
  });

  it('providers: a chat completion becomes an Anthropic message with tool_use and cache reads', () => {
    const { body, usage } = chatResponseToMessage({
      id: 'chatcmpl-1',
      model: 'gpt',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"x":2}' } }] }, finish_reason: 'tool_calls' }],
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13, prompt_tokens_details: { cached_tokens: 4 } },
    });
    expect(body).toEqual({
      id: 'chatcmpl-1',
      type: 'message',
      role: 'assistant',
      model: 'gpt',
      content: [{ type: 'text', text: 'Hi' }, { type: 'tool_use', id: 'call_1', name: 'f', input: { x: 2 } }],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 6, output_tokens: 3, cache_read_input_tokens: 4, cache_creation_input_tokens: 0 },
    });
    expect(usage?.total_tokens).toBe(13);
  });

  it('providers: cache writes a chat usage reports (Claude on Bedrock or Vertex, as LiteLLM names them) stay cache writes, not input', () => {
    // usageOfAnthropic's shape: the prompt counts every input token, cache reads and writes included.
    const usage = { prompt_tokens: 40, completion_tokens: 3, total_tokens: 43, prompt_tokens_details: { cached_tokens: 30 }, cache_read_input_tokens: 30, cache_creation_input_tokens: 2 };
    expect(anthropicUsageOf(usage)).toEqual({ input_tokens: 8, output_tokens: 3, cache_read_input_tokens: 30, cache_creation_input_tokens: 2 });
    const { body } = chatResponseToMessage({ id: 'c', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }], usage });
    expect(body.usage).toEqual({ input_tokens: 8, output_tokens: 3, cache_read_input_tokens: 30, cache_creation_input_tokens: 2 });
    // A usage that says more was written than there was input is not believed past the prompt.
    expect(anthropicUsageOf({ prompt_tokens: 5, completion_tokens: 1, total_tokens: 6, cache_creation_input_tokens: 9 })).toEqual({ input_tokens: 0, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 5 });
  });

  it('providers: OpenAI chunks become Anthropic events, named, with the usage on message_stop', () => {
    const stream = new ChatToMessagesStream();
    const chunks = [
      { id: 'c1', model: 'gpt', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] },
      { id: 'c1', choices: [{ index: 0, delta: { content: 'Hi' } }] },
      { id: 'c1', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] } }] },
      { id: 'c1', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] } }] },
      { id: 'c1', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '2}' } }] } }] },
      { id: 'c1', choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
      { id: 'c1', choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } },
    ];
    const out = [...chunks.map((chunk) => JSON.stringify(chunk)), '[DONE]'].flatMap((data) => stream.push({ event: undefined, data })).concat(stream.end());
    expect(out.map((event) => event.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(JSON.parse(out[4]!.data)).toEqual({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_1', name: 'f', input: {} } });
    expect(JSON.parse(out[8]!.data)).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { input_tokens: 5, output_tokens: 2 } });
    expect(out.at(-1)!.usage).toMatchObject({ total_tokens: 7 });
  });

  it('providers: Anthropic events pass through to an Anthropic client with their names, usage read off the stream', () => {
    const stream = MESSAGES_PASSTHROUGH.stream({} as never);
    const events = [
      ['message_start', { type: 'message_start', message: { usage: { input_tokens: 9, output_tokens: 1, cache_read_input_tokens: 2 } } }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 4 } }],
      ['message_stop', { type: 'message_stop' }],
    ] as const;
    const out = events.flatMap(([event, data]) => stream.push({ event, data: JSON.stringify(data) }));
    expect(out.map((event) => event.event)).toEqual(['message_start', 'message_delta', 'message_stop']);
    expect(out[0]!.data).toBe(JSON.stringify(events[0][1]));
    expect(out[2]!.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
  });
});
