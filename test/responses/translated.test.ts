import { Redis } from 'ioredis';
import OpenAI from 'openai';
import type { ResponseCreateParamsStreaming, ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startAnthropicMock, startInProcessStack, startMockProvider, type AnthropicMock, type InProcessStack, type MockProvider } from '../harness/index.js';
import { loadConformance } from '../conformance/openapi.js';
import { ALICE_KEY, clearCounters, failureOf, OPENAI_ENV, responsesConfig, settledTokens, twoCallers } from './fixtures.js';

/**
 * The official OpenAI SDK's Responses API against deployments that do not
 * serve it: Anthropic (responses -> chat -> Anthropic's Messages API) and a
 * chat-only OpenAI-compatible server (responses -> chat). One provider call
 * per request, answers valid against OpenAI's spec, usage settled; their
 * responses are not stored, and asking for one says so.
 */

const ANTHROPIC_KEY = 'sk-ant-test-SECRET-0123';
const weather = { type: 'function' as const, name: 'weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true };

describe('responses: deployments without the Responses API (translated via chat)', () => {
  let mock: MockProvider;
  let anthropicMock: AnthropicMock;
  let stack: InProcessStack;
  let client: OpenAI;
  let redis: Redis;
  const spec = loadConformance();

  beforeAll(async () => {
    mock = await startMockProvider();
    anthropicMock = await startAnthropicMock({ apiKey: ANTHROPIC_KEY });
    stack = await startInProcessStack({ servers: inject('servers'), config: responsesConfig(mock.url, anthropicMock.url), env: { ...OPENAI_ENV, ANTHROPIC_API_KEY: ANTHROPIC_KEY }, authenticate: twoCallers });
    client = new OpenAI({ apiKey: ALICE_KEY, baseURL: `${stack.ingressUrls[0]}/v1` });
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
    await anthropicMock?.close();
    redis?.disconnect();
  });
  beforeEach(async () => {
    mock.reset();
    anthropicMock.reset();
    await clearCounters(redis, stack.names.prefix);
  });
  // Every request the gateway sent passed Anthropic's checks.
  afterEach(() => expect(anthropicMock.refusals).toEqual([]));

  async function streamed(model: string, fields: Record<string, unknown>): Promise<ResponseStreamEvent[]> {
    const stream = await client.responses.create({ ...fields, model, stream: true } as ResponseCreateParamsStreaming);
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    return events;
  }

  describe('responses: on Anthropic', () => {
    it('responses: a plain create is one Messages call; the answer is a valid Response and its usage settles the limiter', async () => {
      anthropicMock.behave('claude-sonnet-4-5', { reply: 'Hello from Claude' });
      const response = await client.responses.create({ model: 'claude', instructions: 'Be brief.', input: 'Say hello', max_output_tokens: 200, metadata: { ticket: 't-2' } });
      expect(spec.problems('Response', response)).toEqual([]);
      expect(response.output_text).toBe('Hello from Claude');
      expect(response.metadata).toEqual({ ticket: 't-2' });
      expect(anthropicMock.calls).toBe(1);
      expect(anthropicMock.requests[0]!.body).toMatchObject({ model: 'claude-sonnet-4-5', system: [{ type: 'text', text: 'Be brief.' }], max_tokens: 200 });
      expect(response.usage!.total_tokens).toBe(anthropicMock.billedTokens);
      expect(await settledTokens(redis, stack.names.prefix, 'claude-anthropic')).toBe(anthropicMock.billedTokens);
    });

    it('responses: a stream is Anthropic\'s events translated into Responses events, each valid, ending in response.completed with usage', async () => {
      anthropicMock.behave('claude-sonnet-4-5', { reply: 'Streaming from Claude now' });
      const events = await streamed('claude', { input: 'Stream please' });
      const problems = events.flatMap((event) => (event.type === 'response.completed' ? spec.problems('ResponseCompletedEvent', event) : []));
      expect(problems).toEqual([]);
      expect(events[0]!.type).toBe('response.created');
      const text = events.filter((event) => event.type === 'response.output_text.delta').map((event) => event.delta).join('');
      expect(text).toBe('Streaming from Claude now');
      const completed = events.at(-1) as Extract<ResponseStreamEvent, { type: 'response.completed' }>;
      expect(completed.type).toBe('response.completed');
      expect(completed.response.usage!.total_tokens).toBe(anthropicMock.billedTokens);
      expect(anthropicMock.calls).toBe(1);
      expect(await settledTokens(redis, stack.names.prefix, 'claude-anthropic')).toBe(anthropicMock.billedTokens);
    });

    it('responses: a function tool round trip: tool_use comes back a function_call, its output goes to Anthropic as a tool_result', async () => {
      anthropicMock.behave('claude-sonnet-4-5', { reply: 'Let me check.', toolCall: { name: 'weather', input: { city: 'Paris' } } });
      const input: ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
      const first = await client.responses.create({ model: 'claude', input, tools: [weather] });
      const call = first.output.find((item) => item.type === 'function_call')!;
      expect(call).toMatchObject({ name: 'weather', arguments: '{"city":"Paris"}' });
      expect(anthropicMock.requests[0]!.body).toMatchObject({ tools: [{ name: 'weather', input_schema: weather.parameters }] });
      anthropicMock.behave('claude-sonnet-4-5', { reply: 'Sunny.', toolCall: null });
      const second = await client.responses.create({
        model: 'claude',
        input: [...input, ...(first.output as ResponseInputItem[]), { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
        tools: [weather],
      });
      expect(second.output_text).toBe('Sunny.');
      expect(anthropicMock.calls).toBe(2);
      const messages = (anthropicMock.requests[1]!.body as { messages: Array<{ role: string; content: unknown }> }).messages;
      expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
      expect(messages[2]!.content).toEqual([expect.objectContaining({ type: 'tool_result', tool_use_id: call.call_id })]);
    });

    it('responses: a streamed tool call arrives as function_call_arguments deltas the SDK assembles', async () => {
      anthropicMock.behave('claude-sonnet-4-5', { reply: 'Checking.', toolCall: { name: 'weather', input: { city: 'Oslo' } } });
      const final = await client.responses.stream({ model: 'claude', input: 'Weather in Oslo?', tools: [weather] }).finalResponse();
      expect(final.output.map((item) => item.type)).toEqual(['message', 'function_call']);
      expect(final.output[1]).toMatchObject({ name: 'weather', arguments: '{"city":"Oslo"}' });
      expect(anthropicMock.calls).toBe(1);
    });
  });

  describe('responses: on a chat-only OpenAI-compatible server', () => {
    it('responses: a plain create is one chat call; the answer is a valid Response', async () => {
      const response = await client.responses.create({ model: 'local', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Hi vLLM' }] }], text: { format: { type: 'json_object' } } });
      expect(spec.problems('Response', response)).toEqual([]);
      expect(response.output_text).toBe('This is a mock response to: Hi vLLM');
      expect(mock.calls).toBe(1);
      expect(mock.requests[0]).toMatchObject({ path: '/v1/chat/completions', body: { model: 'qwen-chat-only', messages: [{ role: 'user', content: 'Hi vLLM' }], response_format: { type: 'json_object' } } });
      expect(await settledTokens(redis, stack.names.prefix, 'local-vllm')).toBe(mock.billedTokens);
    });

    it('responses: a stream asks the server for usage and ends in response.completed carrying it', async () => {
      const events = await streamed('local', { input: 'Stream, vLLM' });
      expect(mock.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
      const completed = events.at(-1) as Extract<ResponseStreamEvent, { type: 'response.completed' }>;
      expect(completed.type).toBe('response.completed');
      expect(completed.response.usage!.total_tokens).toBe(mock.billedTokens);
      expect(mock.calls).toBe(1);
      expect(await settledTokens(redis, stack.names.prefix, 'local-vllm')).toBe(mock.billedTokens);
    });

    it('responses: a function tool round trip, streamed then plain, is one chat call a turn', async () => {
      mock.behave('qwen-chat-only', { toolCall: { name: 'weather', arguments: '{"city":"Rome"}' } });
      const input: ResponseInputItem[] = [{ role: 'user', content: 'Weather in Rome?' }];
      const first = await client.responses.stream({ model: 'local', input, tools: [weather], tool_choice: 'required' }).finalResponse();
      const call = first.output.find((item) => item.type === 'function_call')!;
      expect(call).toMatchObject({ name: 'weather', arguments: '{"city":"Rome"}' });
      expect(mock.requests[0]!.body).toMatchObject({ tool_choice: 'required', tools: [{ type: 'function', function: { name: 'weather' } }] });
      mock.behave('qwen-chat-only', { toolCall: null, reply: 'Warm.' });
      const second = await client.responses.create({ model: 'local', input: [...input, ...(first.output as ResponseInputItem[]), { type: 'function_call_output', call_id: call.call_id, output: 'warm' }], tools: [weather] });
      expect(second.output_text).toBe('Warm.');
      expect(mock.calls).toBe(2);
      // The chat mock refuses a tool message that answers no tool call of the message before it.
      expect((mock.requests[1]!.body as { messages: Array<{ role: string }> }).messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
    });
  });

  it('responses: a translated response cannot be retrieved or continued: a clear 404, and no provider is called', async () => {
    for (const model of ['claude', 'local']) {
      const response = await client.responses.create({ model, input: 'Keep this?' });
      // The SDK's type has no `store` on a Response; OpenAI's spec does.
      expect((response as unknown as { store: boolean }).store).toBe(false);
      const retrieve = await failureOf(() => client.responses.retrieve(response.id));
      expect(retrieve).toMatchObject({ status: 404, error: expect.objectContaining({ code: 'response_not_stored' }) });
      expect(retrieve.message).toContain('translated it from chat completions');
      const continued = await failureOf(() => client.responses.create({ model, previous_response_id: response.id, input: 'and?' }));
      expect(continued).toMatchObject({ status: 404, error: expect.objectContaining({ code: 'response_not_stored', param: 'previous_response_id' }) });
    }
    expect(anthropicMock.calls).toBe(1);
    expect(mock.calls).toBe(1);
  });

  it('responses: a stream the provider cuts mid-way ends with a Responses error event, after the deltas already sent', async () => {
    mock.behave('qwen-chat-only', { reply: 'one two three four', streamChunks: 4, cutStreamAfter: 2, chunkDelayMs: 100 });
    const events = await streamed('local', { input: 'Cut me' });
    expect(events[0]!.type).toBe('response.created');
    expect(events.filter((event) => event.type === 'response.output_text.delta').length).toBeGreaterThanOrEqual(1);
    const last = events.at(-1) as unknown as Record<string, unknown>;
    expect(last).toMatchObject({ type: 'error', code: 'upstream_stream_interrupted' });
    expect(spec.problems('ResponseErrorEvent', last)).toEqual([]);
    expect(events.some((event) => event.type === 'response.completed')).toBe(false);
    expect(mock.calls).toBe(1);
  });

  it('responses: what chat cannot carry (a built-in tool) is a 400 naming it, with no provider call', async () => {
    const failure = await failureOf(() => client.responses.create({ model: 'claude', input: 'Search', tools: [{ type: 'web_search' }] }));
    expect(failure).toMatchObject({ status: 400, error: expect.objectContaining({ param: 'tools[0]', code: 'unsupported_by_provider' }) });
    expect(anthropicMock.calls).toBe(0);
  });
});
