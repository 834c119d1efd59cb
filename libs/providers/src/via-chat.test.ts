import { describe, expect, it } from 'vitest';
import { GatewayError } from '@switchyard/contracts';
import { anthropic } from './anthropic/index.js';
import { MESSAGES_VIA_CHAT } from './anthropic/messages-via-chat.js';
import { buildProviderRequest } from './request.js';
import type { ProviderConfig } from './providers/base.js';
import { eventProblems, responseProblems } from '../test/responses-conformance.js';
import { buildStoredResponseRequest } from './responses/stored.js';
import type { RawSseEvent } from './transforms.js';
import type { StreamEvent } from './types.js';
import { chained, servesEndpoint, transformsFor, VIA_CHAT } from './via-chat.js';
import { deployment, TEST_KEY } from '../test/fixtures.js';

const claude = deployment({ id: 'claude/1', modelName: 'claude', provider: 'anthropic', providerModel: 'claude-sonnet-4-5' });
const vllm = deployment({ id: 'vllm/1', modelName: 'local', provider: 'hosted_vllm', providerModel: 'qwen', apiBase: 'http://vllm:8000/v1', apiKey: null });
const gpt = deployment({ id: 'gpt/1', modelName: 'gpt', provider: 'openai', providerModel: 'gpt-4.1-mini' });
const azure = deployment({ id: 'az/1', modelName: 'az', provider: 'azure', providerModel: 'my-gpt-deployment', apiBase: 'https://res.openai.azure.com', apiVersion: '2024-10-21' });

const tool = { type: 'function', name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
const request = { model: 'claude', instructions: 'Be brief.', input: 'Weather in Paris?', tools: [tool], max_output_tokens: 100 };

function replay(translator: { push(event: RawSseEvent): StreamEvent[]; end(): StreamEvent[] }, events: RawSseEvent[]): StreamEvent[] {
  return [...events.flatMap((event) => translator.push(event)), ...translator.end()];
}

const anthropicSse = (name: string, data: Record<string, unknown>): RawSseEvent => ({ event: name, data: JSON.stringify({ type: name, ...data }) });

describe('providers: endpoints served via chat', () => {
  it('providers: a provider that serves chat (passthrough or its own transform) serves messages and responses without listing them', () => {
    const ownChat: ProviderConfig = { ...anthropic, name: 'anthropic', endpoints: ['chat.completions'], transforms: { 'chat.completions': anthropic.transforms['chat.completions']! } };
    for (const endpoint of ['messages', 'responses'] as const) {
      expect(servesEndpoint(ownChat, endpoint)).toBe(true);
      expect(transformsFor(ownChat, endpoint)).toBe(VIA_CHAT[endpoint]);
    }
    const embeddingsOnly: ProviderConfig = { ...ownChat, endpoints: ['embeddings'], transforms: {} };
    expect(servesEndpoint(embeddingsOnly, 'responses')).toBe(false);
    // Anthropic's own messages stay a passthrough; OpenAI's responses too.
    expect(transformsFor(anthropic, 'messages')).toBe(anthropic.transforms.messages);
  });

  it('providers: responses on Anthropic go responses -> chat -> Anthropic messages, and the message comes back a valid Response', () => {
    const req = buildProviderRequest(claude, 'responses', request, { stream: false, wantUsage: false });
    expect(req.url).toBe('https://api.anthropic.com/v1/messages');
    expect(req.headers['x-api-key']).toBe(TEST_KEY);
    expect(JSON.parse(req.body)).toEqual({
      model: 'claude-sonnet-4-5',
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] }],
      max_tokens: 100,
      tools: [{ name: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    });
    const message = {
      id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } }],
      stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 20, output_tokens: 8 },
    };
    const { body, usage } = req.translation!.transforms.response(message, req.translation!.ctx);
    expect(responseProblems(body)).toEqual([]);
    expect(body!.output).toEqual([
      expect.objectContaining({ type: 'message', content: [expect.objectContaining({ text: 'Checking.' })] }),
      expect.objectContaining({ type: 'function_call', call_id: 'toolu_1', name: 'weather', arguments: '{"city":"Paris"}' }),
    ]);
    expect(usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 8 });
  });

  it('providers: a streamed response on Anthropic: Anthropic events -> chat chunks -> valid Responses events with the usage', () => {
    const req = buildProviderRequest(claude, 'responses', { ...request, stream: true }, { stream: true, wantUsage: false });
    expect(JSON.parse(req.body)).toMatchObject({ stream: true });
    expect(JSON.parse(req.body)).not.toHaveProperty('stream_options');
    const events = replay(req.translation!.transforms.stream(req.translation!.ctx), [
      anthropicSse('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 20, output_tokens: 1 } } }),
      anthropicSse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      anthropicSse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Checking' } }),
      anthropicSse('content_block_stop', { index: 0 }),
      anthropicSse('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'weather', input: {} } }),
      anthropicSse('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } }),
      anthropicSse('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }),
      anthropicSse('content_block_stop', { index: 1 }),
      anthropicSse('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 8 } }),
      anthropicSse('message_stop', {}),
    ]);
    expect(eventProblems(events)).toEqual([]);
    const types = events.map((event) => event.event);
    expect(types.filter((type) => type === 'response.function_call_arguments.delta')).toHaveLength(2);
    expect(types.at(-1)).toBe('response.completed');
    expect(events.at(-1)!.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 8 });
  });

  it('providers: messages on a provider with its own chat transform are chained the same way (Anthropic chat standing in)', () => {
    const inner = anthropic.transforms['chat.completions']!;
    const ctx = { deployment: claude, stream: false };
    const chat = MESSAGES_VIA_CHAT.request!({ model: 'x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, ctx);
    const providerBody = inner.request!(chat, ctx);
    const composed = chained(MESSAGES_VIA_CHAT, { ...ctx, providerBody: chat }, inner, { ...ctx, providerBody });
    const { body, usage } = composed.response(
      { id: 'msg_1', type: 'message', role: 'assistant', model: 'c', content: [{ type: 'text', text: 'yo' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } },
      { ...ctx, providerBody },
    );
    expect(body).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'yo' }], stop_reason: 'end_turn' });
    expect(usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 1 });
  });

  it('providers: providers added with their own chat get both for free: cohere (its v2 chat), text-completion-openai (chat via completions)', () => {
    const commandR = deployment({ id: 'cohere/1', modelName: 'command', provider: 'cohere', providerModel: 'command-r-plus' });
    const cohereReq = buildProviderRequest(commandR, 'responses', { model: 'command', input: 'hi' }, { stream: false, wantUsage: false });
    expect(cohereReq.url).toBe('https://api.cohere.com/v2/chat');
    expect(JSON.parse(cohereReq.body)).toMatchObject({ model: 'command-r-plus', messages: [{ role: 'user', content: 'hi' }] });
    expect(buildProviderRequest(commandR, 'messages', { model: 'command', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, { stream: false, wantUsage: false }).url).toBe('https://api.cohere.com/v2/chat');
    const instruct = deployment({ id: 'instruct/1', modelName: 'instruct', provider: 'text-completion-openai', providerModel: 'gpt-3.5-turbo-instruct' });
    const chain = buildProviderRequest(instruct, 'responses', { model: 'instruct', input: 'Say hi' }, { stream: false, wantUsage: false });
    expect(chain.url).toBe('https://api.openai.com/v1/completions');
    expect(JSON.parse(chain.body)).toMatchObject({ model: 'gpt-3.5-turbo-instruct', prompt: expect.stringContaining('Say hi') });
    const completion = { id: 'cmpl-1', object: 'text_completion', created: 1, model: 'gpt-3.5-turbo-instruct', choices: [{ index: 0, text: 'Hi!', finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } };
    const { body, usage } = chain.translation!.transforms.response(completion, chain.translation!.ctx);
    expect(responseProblems(body)).toEqual([]);
    expect(body).toMatchObject({ object: 'response', output: [{ type: 'message', content: [{ text: 'Hi!' }] }] });
    expect(usage).toMatchObject({ total_tokens: 6 });
  });

  it('providers: bedrock (its own chat, a signed event stream) serves responses and messages through its Converse API', () => {
    const nova = deployment({ id: 'nova/1', modelName: 'nova', provider: 'bedrock', providerModel: 'amazon.nova-lite-v1:0', apiBase: 'https://bedrock-runtime.us-east-1.amazonaws.com' });
    const plain = buildProviderRequest(nova, 'responses', { model: 'nova', instructions: 'Be brief.', input: 'hi' }, { stream: false, wantUsage: false });
    expect(plain.url).toBe('https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse');
    expect(JSON.parse(plain.body)).toMatchObject({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] });
    const streamed = buildProviderRequest(nova, 'messages', { model: 'nova', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { stream: true, wantUsage: false });
    expect(streamed.url).toBe('https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse-stream');
  });

  it('providers: responses on an OpenAI-compatible server go to its chat completions, asking for stream usage', () => {
    const req = buildProviderRequest(vllm, 'responses', { model: 'local', input: 'hi', stream: true }, { stream: true, wantUsage: false });
    expect(req.url).toBe('http://vllm:8000/v1/chat/completions');
    expect(JSON.parse(req.body)).toEqual({ model: 'qwen', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
  });

  it('providers: responses on OpenAI pass through byte for byte, only the model edited; no stream_options is added', () => {
    const text = '{"model":"gpt","input":"hi","seed":12345678901234567,"temperature":0.10000000000000001,"stream":true,"stream_options":{"include_obfuscation":false}}';
    const req = buildProviderRequest(gpt, 'responses', JSON.parse(text) as Record<string, unknown>, { stream: true, wantUsage: false, bodyText: text });
    expect(req.url).toBe('https://api.openai.com/v1/responses');
    expect(req.body).toBe(text.replace('"model":"gpt"', '"model":"gpt-4.1-mini"'));
    const ctx = req.translation!.ctx;
    // The answer is relayed as it is; the usage and the stored id are read on the way.
    expect(req.translation!.transforms.response({ id: 'resp_1', store: true, usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } }, ctx)).toEqual({
      body: null,
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      storedResponseId: 'resp_1',
    });
    expect(req.translation!.transforms.response({ id: 'resp_2', store: false }, ctx)).not.toHaveProperty('storedResponseId');
    const stream = replay(req.translation!.transforms.stream(ctx), [
      { event: 'response.created', data: '{"type":"response.created","response":{"id":"resp_3","store":true,"usage":null}}' },
      { event: 'response.output_text.delta', data: '{"type":"response.output_text.delta","delta":"x"}' },
      { event: 'response.completed', data: '{"type":"response.completed","response":{"id":"resp_3","usage":{"input_tokens":4,"output_tokens":1,"total_tokens":5}}}' },
    ]);
    expect(stream.map((event) => event.event)).toEqual(['response.created', 'response.output_text.delta', 'response.completed']);
    expect(stream[0]).toMatchObject({ storedResponseId: 'resp_3', data: '{"type":"response.created","response":{"id":"resp_3","store":true,"usage":null}}' });
    expect(stream[2]!.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 1 });
  });

  it('providers: responses on Azure go to its v1 surface, without the dated api-version, with api-key', () => {
    const req = buildProviderRequest(azure, 'responses', { model: 'az', input: 'hi' }, { stream: false, wantUsage: false });
    expect(req.url).toBe('https://res.openai.azure.com/openai/v1/responses');
    expect(req.headers['api-key']).toBe(TEST_KEY);
    expect(JSON.parse(req.body)).toEqual({ model: 'my-gpt-deployment', input: 'hi' });
  });

  it('providers: a stored response is read and deleted at its deployment with its credentials; other providers store none', () => {
    const get = buildStoredResponseRequest(gpt, 'retrieve', 'resp_abc');
    expect(get).toMatchObject({ url: 'https://api.openai.com/v1/responses/resp_abc', method: 'GET', body: '' });
    expect(get.headers.authorization).toBe(`Bearer ${TEST_KEY}`);
    expect(buildStoredResponseRequest(azure, 'delete', 'resp_abc')).toMatchObject({ url: 'https://res.openai.azure.com/openai/v1/responses/resp_abc', method: 'DELETE' });
    expect(() => buildStoredResponseRequest(claude, 'retrieve', 'resp_abc')).toThrow(GatewayError);
  });

  it('providers: a 400 of the provider\'s chat translation names the Responses field the client sent, not the chat field it became', () => {
    const instruct = deployment({ id: 'instruct/1', modelName: 'instruct', provider: 'text-completion-openai', providerModel: 'gpt-3.5-turbo-instruct' });
    const refusal = (body: Record<string, unknown>): GatewayError => {
      try {
        buildProviderRequest(instruct, 'responses', body, { stream: false, wantUsage: false });
      } catch (error) {
        if (error instanceof GatewayError) return error;
        throw error;
      }
      throw new Error('expected a 400');
    };
    const image = refusal({ model: 'instruct', instructions: 'Be brief.', input: [{ role: 'user', content: [{ type: 'input_text', text: 'What?' }, { type: 'input_image', image_url: 'https://example.com/a.png' }] }] });
    expect([image.status, image.code, image.param]).toEqual([400, 'unsupported_by_provider', 'input[0].content[1]']);
    const format = refusal({ model: 'instruct', input: 'JSON please', text: { format: { type: 'json_object' } } });
    expect([format.status, format.param]).toEqual([400, 'text.format']);
  });
});
