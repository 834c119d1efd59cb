import { describe, expect, it } from 'vitest';
import { GatewayError } from '@switchyard/contracts';
import { chatRequestToConverse, isJsonMode } from './chat-request.js';

const user = (content: unknown) => ({ role: 'user', content });

function refusal(body: Record<string, unknown>, dropParams = false): GatewayError {
  try {
    chatRequestToConverse(body, dropParams);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('providers bedrock: chat -> Converse', () => {
  it('providers bedrock: system and developer messages become system blocks; sampling goes to inferenceConfig; the rest is dropped', () => {
    const body = chatRequestToConverse(
      {
        model: 'anthropic.claude-v2',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'system', content: 'Be brief.' }, { role: 'developer', content: [{ type: 'text', text: 'No emoji.' }] }, user('hi')],
        max_tokens: 100,
        max_completion_tokens: 300,
        temperature: 1.7,
        top_p: 0.9,
        stop: ['a', 'b'],
        seed: 1,
        user: 'u',
        frequency_penalty: 0.5,
      },
      false,
    );
    expect(body).toEqual({
      messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      system: [{ text: 'Be brief.' }, { text: 'No emoji.' }],
      inferenceConfig: { maxTokens: 300, temperature: 1, topP: 0.9, stopSequences: ['a', 'b'] },
    });
  });

  it('providers bedrock: tool calls, tool results and images map to toolUse, toolResult and image blocks; same-role turns merge', () => {
    const body = chatRequestToConverse(
      {
        messages: [
          user([{ type: 'text', text: 'look', cache_control: { type: 'ephemeral' } }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } }]),
          { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }, { id: 'c2', type: 'function', function: { name: 'g', arguments: '' } }] },
          { role: 'tool', tool_call_id: 'c1', content: 'one' },
          { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'two' }] },
          { role: 'assistant', content: null },
          user('next'),
        ],
        tools: [{ type: 'function', function: { name: 'f', description: 'F', parameters: { type: 'object', properties: { x: { type: 'number' } } } } }, { type: 'function', function: { name: 'g' } }],
        tool_choice: { type: 'function', function: { name: 'g' } },
      },
      false,
    );
    expect(body.messages).toEqual([
      { role: 'user', content: [{ text: 'look' }, { cachePoint: { type: 'default' } }, { image: { format: 'jpeg', source: { bytes: '/9j/4AAQ' } } }] },
      { role: 'assistant', content: [{ text: 'Checking.' }, { toolUse: { toolUseId: 'c1', name: 'f', input: { x: 1 } } }, { toolUse: { toolUseId: 'c2', name: 'g', input: {} } }] },
      {
        role: 'user',
        content: [{ toolResult: { toolUseId: 'c1', content: [{ text: 'one' }] } }, { toolResult: { toolUseId: 'c2', content: [{ text: 'two' }] } }, { text: 'next' }],
      },
    ]);
    expect(body.toolConfig).toEqual({
      tools: [
        { toolSpec: { name: 'f', description: 'F', inputSchema: { json: { type: 'object', properties: { x: { type: 'number' } } } } } },
        { toolSpec: { name: 'g', inputSchema: { json: { type: 'object', properties: {} } } } },
      ],
      toolChoice: { tool: { name: 'g' } },
    });
  });

  it.each([
    ['auto', { auto: {} }],
    ['required', { any: {} }],
  ])('providers bedrock: tool_choice %s is %j', (choice, expected) => {
    const body = chatRequestToConverse({ messages: [user('x')], tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: choice }, false);
    expect((body.toolConfig as Record<string, unknown>).toolChoice).toEqual(expected);
  });

  it('providers bedrock: tool_choice none is a 400, or dropped with drop_params, as in LiteLLM', () => {
    const body = { messages: [user('x')], tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'none' };
    expect(refusal(body).param).toBe('tool_choice');
    expect(chatRequestToConverse(body, true).toolConfig).toEqual({ tools: [expect.objectContaining({ toolSpec: expect.objectContaining({ name: 'f' }) })] });
  });

  it('providers bedrock: response_format json_schema is a forced json_tool_call tool (isJsonMode reads it back)', () => {
    const body = chatRequestToConverse({ messages: [user('x')], response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object', properties: { a: { type: 'string' } } } } } }, false);
    expect(body.toolConfig).toEqual({
      tools: [{ toolSpec: { name: 'json_tool_call', inputSchema: { json: { type: 'object', properties: { a: { type: 'string' } } } } } }],
      toolChoice: { tool: { name: 'json_tool_call' } },
    });
    expect(isJsonMode(body)).toBe(true);
    expect(isJsonMode(chatRequestToConverse({ messages: [user('x')] }, false))).toBe(false);
  });

  it.each([
    ['an http image', { messages: [user([{ type: 'image_url', image_url: { url: 'https://x/cat.png' } }])] }, 'messages[0].content[0]'],
    ['a bmp image', { messages: [user([{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }])] }, 'messages[0].content[0]'],
    ['an audio part', { messages: [user([{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }])] }, 'messages[0].content[0]'],
    ['n above 1', { n: 2, messages: [user('x')] }, 'n'],
    ['only a system message', { messages: [{ role: 'system', content: 'x' }] }, 'messages'],
    ['a function role', { messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].role'],
    ['arguments that are not JSON', { messages: [user('x'), { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{' } }] }] }, 'messages[1].tool_calls[0].function.arguments'],
    ['tool_choice without tools', { messages: [user('x')], tool_choice: 'auto' }, 'tool_choice'],
  ])('providers bedrock: %s is a 400 naming the field', (_name, body, param) => {
    const error = refusal(body);
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
  });
});

describe('providers bedrock: thinking for Claude on Bedrock', () => {
  const claude = 'us.anthropic.claude-sonnet-4-20250514-v1:0';

  it('providers bedrock: reasoning_effort and thinking become additionalModelRequestFields.thinking, with maxTokens above the budget', () => {
    expect(chatRequestToConverse({ model: claude, messages: [user('x')], reasoning_effort: 'medium' }, false)).toMatchObject({
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 2048 } },
      inferenceConfig: { maxTokens: 4096 + 2048 },
    });
    expect(chatRequestToConverse({ model: claude, messages: [user('x')], thinking: { type: 'enabled', budget_tokens: 1500 }, max_tokens: 3000 }, false)).toMatchObject({
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1500 } },
      inferenceConfig: { maxTokens: 3000 },
    });
    expect(refusal({ model: claude, messages: [user('x')], reasoning_effort: 'extreme' }).param).toBe('reasoning_effort');
  });

  it('providers bedrock: other models get no thinking; none is none', () => {
    expect(chatRequestToConverse({ model: 'amazon.nova-pro-v1:0', messages: [user('x')], reasoning_effort: 'high' }, false).additionalModelRequestFields).toBeUndefined();
    expect(chatRequestToConverse({ model: claude, messages: [user('x')], reasoning_effort: 'none' }, false).additionalModelRequestFields).toBeUndefined();
  });

  it('providers bedrock: an assistant turn\'s thinking_blocks go back first, as reasoningContent', () => {
    const body = chatRequestToConverse(
      {
        model: claude,
        messages: [
          user('x'),
          { role: 'assistant', content: null, thinking_blocks: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'redacted_thinking', data: 'opaque' }], tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'c', content: 'r' },
        ],
        tools: [{ type: 'function', function: { name: 'f' } }],
      },
      false,
    );
    expect((body.messages as Array<{ content: unknown[] }>)[1]!.content).toEqual([
      { reasoningContent: { reasoningText: { text: 'hmm', signature: 'sig' } } },
      { reasoningContent: { redactedContent: 'opaque' } },
      { toolUse: { toolUseId: 'c', name: 'f', input: {} } },
    ]);
  });
});
