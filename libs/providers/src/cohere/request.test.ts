import { describe, expect, it } from 'vitest';
import { GatewayError } from '@switchyard/contracts';
import { buildProviderRequest } from '../request.js';
import { deployment, TEST_KEY } from '../../test/fixtures.js';
import { chatRequestToCohere, embeddingsRequestToCohere } from './request.js';

const command = (apiBase: string | null = null) => deployment({ id: 'command/1', provider: 'cohere', providerModel: 'command-a-03-2025', apiBase });
const chat = { model: 'command', messages: [{ role: 'user', content: 'hi' }] };

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

describe('providers: cohere request on the wire', () => {
  it.each([
    [null, 'https://api.cohere.com/v2/chat', 'https://api.cohere.com/v2/embed'],
    ['http://proxy:8080/', 'http://proxy:8080/v2/chat', 'http://proxy:8080/v2/embed'],
    // LiteLLM's COHERE_API_BASE is the full chat URL; either endpoint is reached from it.
    ['https://api.cohere.com/v2/chat', 'https://api.cohere.com/v2/chat', 'https://api.cohere.com/v2/embed'],
    ['https://api.cohere.ai/v1', 'https://api.cohere.ai/v2/chat', 'https://api.cohere.ai/v2/embed'],
  ])('providers: cohere api_base %s -> %s and %s, a bearer key', (apiBase, chatUrl, embedUrl) => {
    const req = buildProviderRequest(command(apiBase), 'chat.completions', { ...chat, stream_options: { include_usage: true } }, { stream: true, wantUsage: true });
    expect(req.url).toBe(chatUrl);
    expect(req.headers).toMatchObject({ authorization: `Bearer ${TEST_KEY}`, accept: 'text/event-stream' });
    // Usage comes on message-end unasked: Cohere knows no stream_options.
    expect(JSON.parse(req.body)).toEqual({ model: 'command-a-03-2025', messages: [{ role: 'user', content: 'hi' }], stream: true });
    expect(buildProviderRequest(command(apiBase), 'embeddings', { model: 'e', input: 'x' }, { stream: false, wantUsage: false }).url).toBe(embedUrl);
  });

  it("providers: cohere LiteLLM's v1/ model prefix (its legacy chat route) reaches the same model on v2", () => {
    const legacy = deployment({ provider: 'cohere', providerModel: 'v1/command-r' });
    expect(JSON.parse(buildProviderRequest(legacy, 'chat.completions', chat, { stream: false, wantUsage: false }).body).model).toBe('command-r');
  });

  it('providers: cohere takes the deployment defaults, and completions is a 400 before any call', () => {
    const withDefaults = deployment({ provider: 'cohere', providerModel: 'command-r', defaultParams: { max_tokens: 77, top_p: 1 } });
    expect(JSON.parse(buildProviderRequest(withDefaults, 'chat.completions', chat, { stream: false, wantUsage: false }).body)).toMatchObject({ max_tokens: 77, p: 0.99 });
    const error = refusal(() => buildProviderRequest(command(), 'completions', { model: 'c', prompt: 'x' }, { stream: false, wantUsage: false }));
    expect([error.status, error.code]).toEqual([400, 'unsupported_endpoint']);
  });
});

describe('providers: cohere chat mapping', () => {
  it('providers: cohere maps roles, parts, images, tool calls and tool results to v2 messages', () => {
    const body = chatRequestToCohere({
      model: 'command-a-vision-07-2025',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', name: 'ann', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'a cat' }] },
        { role: 'assistant', content: null },
        { role: 'assistant', content: 'Checking again.', tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'look', arguments: '{"x":2}' } }] },
        { role: 'tool', tool_call_id: 'call_2', content: 'still a cat' },
        { role: 'assistant', content: [{ type: 'text', text: 'A cat.' }] },
        { role: 'user', content: 'Thanks' },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } }] },
      { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'a cat' }] },
      { role: 'assistant', tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'look', arguments: '{"x":2}' } }], tool_plan: 'Checking again.' },
      { role: 'tool', tool_call_id: 'call_2', content: 'still a cat' },
      { role: 'assistant', content: [{ type: 'text', text: 'A cat.' }] },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('providers: cohere renames and clamps sampling parameters as Cohere ranges them, and drops what it has not', () => {
    const body = chatRequestToCohere({
      ...chat,
      temperature: 0.2,
      top_p: 1,
      frequency_penalty: 1.5,
      presence_penalty: -0.5,
      seed: 12,
      stop: 'END',
      max_tokens: 100,
      max_completion_tokens: 300,
      user: 'u-1',
      logprobs: true,
      parallel_tool_calls: false,
      n: 1,
    });
    expect(body).toEqual({
      model: 'command',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
      p: 0.99,
      frequency_penalty: 1,
      presence_penalty: 0,
      seed: 12,
      stop_sequences: ['END'],
      max_tokens: 300,
    });
  });

  it.each([
    ['auto', {}],
    ['required', { tool_choice: 'REQUIRED' }],
    ['none', { tool_choice: 'NONE' }],
  ])('providers: cohere tool_choice %s', (choice, expected) => {
    const tools = [{ type: 'function', function: { name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const body = chatRequestToCohere({ ...chat, tools, tool_choice: choice });
    expect(body).toMatchObject({ tools: [{ type: 'function', function: { name: 'weather', description: 'Weather', parameters: tools[0]!.function.parameters } }], ...expected });
    if (choice === 'auto') expect(body.tool_choice).toBeUndefined();
  });

  it('providers: cohere forces one function as REQUIRED with only that function offered; strict tools are strict_tools', () => {
    const tool = (name: string) => ({ type: 'function', function: { name, parameters: { type: 'object' }, strict: true } });
    const body = chatRequestToCohere({ ...chat, tools: [tool('a'), tool('b')], tool_choice: { type: 'function', function: { name: 'b' } } });
    expect(body).toMatchObject({ tools: [{ type: 'function', function: { name: 'b', parameters: { type: 'object' } } }], tool_choice: 'REQUIRED', strict_tools: true });
    expect(JSON.stringify(body.tools)).not.toContain('strict');
    expect(refusal(() => chatRequestToCohere({ ...chat, tools: [tool('a')], tool_choice: { type: 'function', function: { name: 'z' } } })).param).toBe('tool_choice');
  });

  it('providers: cohere response_format json_schema is json_object with the schema; text is nothing', () => {
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    expect(chatRequestToCohere({ ...chat, response_format: { type: 'json_schema', json_schema: { name: 's', schema } } }).response_format).toEqual({ type: 'json_object', json_schema: schema });
    expect(chatRequestToCohere({ ...chat, response_format: { type: 'json_object' } }).response_format).toEqual({ type: 'json_object' });
    expect(chatRequestToCohere({ ...chat, response_format: { type: 'text' } }).response_format).toBeUndefined();
  });

  it.each([
    ['n > 1', { ...chat, n: 2 }, 'n'],
    ['an audio part', { ...chat, messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }, 'messages[0].content[0]'],
    ['an image that is not a URL', { ...chat, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }] }] }, 'messages[0].content[0]'],
    ['an image in a system message', { ...chat, messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] }, 'messages[0].content[0]'],
    ['a tool result without its call id', { ...chat, messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
    ['a function role', { ...chat, messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].role'],
    ['six stop sequences', { ...chat, stop: ['1', '2', '3', '4', '5', '6'] }, 'stop'],
    ['a tool of another type', { ...chat, tools: [{ type: 'code_interpreter' }] }, 'tools[0]'],
  ])('providers: cohere refuses %s with a 400 naming the field', (_name, body, param) => {
    const error = refusal(() => chatRequestToCohere(body));
    expect([error.status, error.param, error.code]).toEqual([400, param, 'unsupported_by_provider']);
  });
});

describe('providers: cohere embeddings mapping', () => {
  it('providers: cohere embeds texts as search_document floats, with the client input_type and dimensions', () => {
    expect(embeddingsRequestToCohere({ model: 'embed-v4.0', input: 'hello', encoding_format: 'base64', user: 'u' })).toEqual({
      model: 'embed-v4.0',
      texts: ['hello'],
      input_type: 'search_document',
      embedding_types: ['float'],
    });
    expect(embeddingsRequestToCohere({ model: 'embed-v4.0', input: ['a', 'b'], input_type: 'search_query', dimensions: 256 })).toMatchObject({
      texts: ['a', 'b'],
      input_type: 'search_query',
      output_dimension: 256,
    });
  });

  it('providers: cohere refuses token arrays and more than 96 texts with a 400 on input', () => {
    expect(refusal(() => embeddingsRequestToCohere({ model: 'e', input: [1, 2, 3] })).param).toBe('input');
    expect(refusal(() => embeddingsRequestToCohere({ model: 'e', input: Array.from({ length: 97 }, () => 'x') })).param).toBe('input');
  });
});
