import { describe, expect, it } from 'vitest';
import { GatewayError, ResponsesRequest } from '@switchyard/contracts';
import { responsesParamOfChat, responsesRequestToChat } from './request-to-chat.js';

const parse = (body: unknown) => ResponsesRequest.parse(body);

describe('responses: request -> chat', () => {
  it('responses: a string input and instructions become a system and a user message; max_output_tokens bounds max_tokens', () => {
    const chat = responsesRequestToChat(parse({ model: 'm', instructions: 'Be brief.', input: 'Hello', max_output_tokens: 64, temperature: 0.2, top_p: 0.9, metadata: { k: 'v' }, store: true }));
    expect(chat).toEqual({
      model: 'm',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }],
      max_tokens: 64,
      temperature: 0.2,
      top_p: 0.9,
    });
  });

  it('responses: input items: text and image parts, a function call joining the assistant turn, its output as a tool message', () => {
    const chat = responsesRequestToChat(
      parse({
        model: 'm',
        input: [
          { role: 'developer', content: 'Use tools.' },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in ' }, { type: 'input_text', text: 'Paris?' }] },
          { role: 'user', content: [{ type: 'input_text', text: 'and this' }, { type: 'input_image', image_url: 'https://x/cat.png', detail: 'low' }] },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
          { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
          { type: 'function_call', call_id: 'call_2', name: 'time', arguments: '{}' },
          { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
          { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'noon' }] },
          { type: 'reasoning', id: 'rs_1', summary: [] },
        ],
      }),
    );
    expect(chat.messages).toEqual([
      { role: 'system', content: 'Use tools.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'user', content: [{ type: 'text', text: 'and this' }, { type: 'image_url', image_url: { url: 'https://x/cat.png', detail: 'low' } }] },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'call_2', content: 'noon' },
    ]);
  });

  it('responses: function tools, a forced tool choice, parallel_tool_calls and a JSON schema format map to chat', () => {
    const chat = responsesRequestToChat(
      parse({
        model: 'm',
        input: 'x',
        tools: [{ type: 'function', name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true }],
        tool_choice: { type: 'function', name: 'weather' },
        parallel_tool_calls: false,
        text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
      }),
    );
    expect(chat).toMatchObject({
      tools: [{ type: 'function', function: { name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
    });
    expect(responsesRequestToChat(parse({ model: 'm', input: 'x', text: { format: { type: 'json_object' } } })).response_format).toEqual({ type: 'json_object' });
    // Chat refuses tool_choice without tools: none is sent.
    expect(responsesRequestToChat(parse({ model: 'm', input: 'x', tool_choice: 'required', parallel_tool_calls: true }))).not.toHaveProperty('tool_choice');
  });

  it.each([
    ['a built-in tool', { tools: [{ type: 'web_search' }] }, 'tools[0]'],
    ['an item reference', { input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0]'],
    ['an image by file id', { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] }, 'input[0].content[0].image_url'],
    ['a stored previous response', { previous_response_id: 'resp_1' }, 'previous_response_id'],
    ['a file input', { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] }, 'input[0].content[0]'],
    ['an empty conversation', { input: [] }, 'input'],
  ])('responses: %s is refused with a 400 naming the field', (_name, fields, param) => {
    const attempt = () => responsesRequestToChat(parse({ model: 'm', input: 'x', ...fields }));
    expect(attempt).toThrow(GatewayError);
    try {
      attempt();
    } catch (error) {
      expect((error as GatewayError).status).toBe(400);
      expect((error as GatewayError).param).toBe(param);
    }
  });

  it('responses: the contract refuses a malformed function_call and metadata beyond OpenAI\'s bounds', () => {
    expect(ResponsesRequest.safeParse({ model: 'm', input: [{ type: 'function_call', name: 'f' }] }).success).toBe(false);
    expect(ResponsesRequest.safeParse({ model: 'm', input: 'x', metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }).success).toBe(false);
    expect(ResponsesRequest.safeParse({ model: 'm', input: 'x', max_output_tokens: 0 }).success).toBe(false);
    expect(ResponsesRequest.safeParse({ model: 'm', input: 'x', tools: [{ type: 'function' }] }).success).toBe(false);
  });

  it('responses: a field of the chat body is named as the Responses field it came from', () => {
    const body = {
      model: 'm',
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: 'https://example.com/a.png' }] },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me look.' }] },
        { type: 'function_call', call_id: 'c1', name: 'look', arguments: '{}' },
        { type: 'function_call', call_id: 'c2', name: 'zoom', arguments: '{"x":' },
        { type: 'function_call_output', call_id: 'c1', output: 'a cat' },
      ],
    };
    // The chat messages: system (instructions), user, assistant (+ both calls), tool.
    expect((responsesRequestToChat(body).messages as unknown[]).length).toBe(4);
    const cases: Array<[string, string]> = [
      ['messages[0].content', 'instructions'],
      ['messages[1].content[1]', 'input[0].content[1]'],
      ['messages[1].content[1].image_url.url', 'input[0].content[1].image_url.url'],
      ['messages[2].content', 'input[2].content'],
      ['messages[2].tool_calls[1].function.arguments', 'input[4].arguments'],
      ['messages[2].tool_calls[0]', 'input[3]'],
      ['messages[3].tool_call_id', 'input[5].call_id'],
      ['messages[3].role', 'input[5]'],
      ['messages[9]', 'input'],
      ['messages', 'input'],
      ['max_tokens', 'max_output_tokens'],
      ['response_format', 'text.format'],
      ['response_format.json_schema.schema', 'text.format.schema'],
      ['reasoning_effort', 'reasoning.effort'],
      ['tools[1].function.parameters', 'tools[1].parameters'],
      ['tools[0]', 'tools[0]'],
      ['temperature', 'temperature'],
    ];
    for (const [chat, responses] of cases) expect(responsesParamOfChat(chat, body), chat).toBe(responses);
    // A string input is one user message: its whole content is `input`.
    expect(responsesParamOfChat('messages[0].content[0]', { model: 'm', input: 'hi' })).toBe('input');
  });
});
