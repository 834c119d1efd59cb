import { describe, expect, it } from 'vitest';
import { GatewayError } from '@switchyard/contracts';
import { chatRequestToMessages } from './request.js';

describe('providers: anthropic request map', () => {
  it('providers: anthropic system, multi-turn, images, tools and tool results map as LiteLLM maps them', () => {
    const out = chatRequestToMessages({
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use metric.', cache_control: { type: 'ephemeral' } }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '12C' },
        { role: 'user', content: 'And tomorrow?' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      stop: 'END',
      temperature: 1.5,
      top_p: 0.9,
      top_k: 40,
      user: 'user-7',
      seed: 42,
      frequency_penalty: 0.5,
    });
    expect(out).toEqual({
      model: 'claude-sonnet-4-5',
      system: [
        { type: 'text', text: 'Be brief.' },
        { type: 'text', text: 'Use metric.', cache_control: { type: 'ephemeral' } },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Oslo' } }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: '12C' },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
      ],
      tools: [{ name: 'weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      temperature: 1,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: 'user-7' },
      max_tokens: 4096,
    });
  });

  it('providers: anthropic max_tokens is the larger one asked, else 4096 plus any thinking budget', () => {
    const messages = [{ role: 'user', content: 'hi' }];
    expect(chatRequestToMessages({ model: 'c', messages, max_tokens: 10, max_completion_tokens: 20 }).max_tokens).toBe(20);
    expect(chatRequestToMessages({ model: 'c', messages, reasoning_effort: 'high' })).toMatchObject({ max_tokens: 8192, thinking: { type: 'enabled', budget_tokens: 4096 } });
    expect(chatRequestToMessages({ model: 'c', messages, reasoning_effort: 'low', max_tokens: 3000 })).toMatchObject({ max_tokens: 3000, thinking: { budget_tokens: 1024 } });
    expect(chatRequestToMessages({ model: 'c', messages, reasoning_effort: 'none' }).thinking).toBeUndefined();
    expect(chatRequestToMessages({ model: 'c', messages, thinking: { type: 'enabled', budget_tokens: 2000 } })).toMatchObject({ max_tokens: 6096 });
  });

  it('providers: anthropic response_format json_schema forces the json tool, next to the client tools', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    const out = chatRequestToMessages({
      model: 'c',
      messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema } },
    });
    expect(out.tools).toEqual([{ name: 'json_tool_call', input_schema: schema }]);
    expect(out.tool_choice).toEqual({ type: 'tool', name: 'json_tool_call' });
  });

  it('providers: anthropic an empty assistant turn between two user turns is dropped before merging, so roles still alternate', () => {
    const out = chatRequestToMessages({
      model: 'c',
      messages: [
        { role: 'user', content: 'First question' },
        { role: 'assistant', content: '' },
        { role: 'user', content: 'Second question' },
        { role: 'assistant', content: null },
        { role: 'user', content: 'Third question' },
      ],
    });
    expect(out.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'First question' },
          { type: 'text', text: 'Second question' },
          { type: 'text', text: 'Third question' },
        ],
      },
    ]);
  });

  it.each([
    ['n above 1', { n: 2 }, 'n'],
    ['an unknown content part', { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }, 'messages[0].content[0]'],
    ['an image that is neither a URL nor a data URL', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }] }] }, 'messages[0].content[0]'],
    ['only system messages', { messages: [{ role: 'system', content: 'x' }] }, 'messages'],
    ['an unknown reasoning_effort', { reasoning_effort: 'max' }, 'reasoning_effort'],
  ])('providers: anthropic refuses %s with a 400 naming the field', (_name, patch, param) => {
    const body = { model: 'c', messages: [{ role: 'user', content: 'hi' }], ...patch };
    let thrown: unknown;
    try {
      chatRequestToMessages(body);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect((thrown as GatewayError).status).toBe(400);
    expect((thrown as GatewayError).toBody().error.param).toBe(param);
  });
});
