import { Redis } from 'ioredis';
import OpenAI from 'openai';
import type { ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startAnthropicMock, startInProcessStack, startMockProvider, type AnthropicMock, type InProcessStack, type MockProvider } from '../harness/index.js';
import { ALICE_KEY, BOB_KEY, clearCounters, failureOf, OPENAI_ENV, responsesConfig, settledTokens, twoCallers } from './fixtures.js';

/**
 * The official OpenAI SDK's Responses API against OpenAI and Azure
 * deployments on the counting mock, through the whole stack: passed
 * through as sent (only the model edited), one provider call per request,
 * usage settled, and stored responses read and deleted at the deployment
 * that made them, by the caller who made them only.
 */

const weather = { type: 'function' as const, name: 'weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true };

describe('responses: OpenAI and Azure deployments (passed through)', () => {
  let mock: MockProvider;
  let anthropicMock: AnthropicMock;
  let stack: InProcessStack;
  let alice: OpenAI;
  let bob: OpenAI;
  let redis: Redis;

  beforeAll(async () => {
    mock = await startMockProvider();
    anthropicMock = await startAnthropicMock({ apiKey: 'sk-ant-unused' });
    stack = await startInProcessStack({ servers: inject('servers'), config: responsesConfig(mock.url, anthropicMock.url), env: { ...OPENAI_ENV, ANTHROPIC_API_KEY: 'sk-ant-unused' }, authenticate: twoCallers, scale: { ingress: 2, 'upstream-caller': 2 } });
    alice = new OpenAI({ apiKey: ALICE_KEY, baseURL: `${stack.ingressUrls[0]}/v1` });
    bob = new OpenAI({ apiKey: BOB_KEY, baseURL: `${stack.ingressUrls[0]}/v1` });
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
    await clearCounters(redis, stack.names.prefix);
  });

  it('responses: a plain create is one call to /v1/responses with the client\'s bytes, and its usage settles the limiter', async () => {
    const response = await alice.responses.create({ model: 'gpt', instructions: 'Be brief.', input: 'Say hello', metadata: { ticket: 't-1' }, temperature: 0.5, max_output_tokens: 64 });
    expect(response.object).toBe('response');
    expect(response.output_text).toBe('This is a mock response to: Say hello');
    expect(response.metadata).toEqual({ ticket: 't-1' });
    expect(mock.calls).toBe(1);
    const sent = mock.requests[0]!;
    expect(sent.path).toBe('/v1/responses');
    expect(sent.headers.authorization).toBe(`Bearer ${OPENAI_ENV.OPENAI_API_KEY}`);
    expect(sent.body).toEqual({ model: 'gpt-4.1-mini', instructions: 'Be brief.', input: 'Say hello', metadata: { ticket: 't-1' }, temperature: 0.5, max_output_tokens: 64 });
    expect(await settledTokens(redis, stack.names.prefix, 'gpt-openai')).toBe(mock.billedTokens);
    expect(response.usage!.total_tokens).toBe(mock.billedTokens);
  });

  it('responses: a streamed create relays OpenAI\'s named events as sent, asks nothing more, and settles to response.completed\'s usage', async () => {
    const stream = await alice.responses.create({ model: 'gpt', input: 'Stream please', stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const completed = events.at(-1) as Extract<ResponseStreamEvent, { type: 'response.completed' }>;
    expect(completed.response.usage!.total_tokens).toBe(mock.billedTokens);
    expect(mock.calls).toBe(1);
    // No stream_options.include_usage (OpenAI refuses it here): the mock would have answered 400.
    expect(mock.requests[0]!.body).toEqual({ model: 'gpt-4.1-mini', input: 'Stream please', stream: true });
    expect(await settledTokens(redis, stack.names.prefix, 'gpt-openai')).toBe(mock.billedTokens);
  });

  it('responses: a function tool round trip, the second turn continued by previous_response_id, is one call a turn', async () => {
    mock.behave('gpt-4.1-mini', { toolCall: { name: 'weather', arguments: '{"city":"Paris"}' } });
    const first = await alice.responses.create({ model: 'gpt', input: 'Weather in Paris?', tools: [weather] });
    const call = first.output.find((item) => item.type === 'function_call')!;
    expect(call).toMatchObject({ type: 'function_call', name: 'weather', arguments: '{"city":"Paris"}' });
    mock.behave('gpt-4.1-mini', { toolCall: null, reply: 'Sunny in Paris.' });
    const second = await alice.responses.create({
      model: 'gpt',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"sky":"sunny"}' }],
      tools: [weather],
    });
    expect(second.output_text).toBe('Sunny in Paris.');
    expect(second.previous_response_id).toBe(first.id);
    expect(mock.calls).toBe(2);
  });

  it('responses: a streamed function call assembles its argument deltas in the SDK', async () => {
    mock.behave('gpt-4.1-mini', { toolCall: { name: 'weather', arguments: '{"city":"Oslo"}' } });
    const stream = alice.responses.stream({ model: 'gpt', input: 'Weather in Oslo?', tools: [weather] });
    const deltas: string[] = [];
    stream.on('response.function_call_arguments.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(deltas.join('')).toBe('{"city":"Oslo"}');
    expect(final.output[0]).toMatchObject({ type: 'function_call', name: 'weather', arguments: '{"city":"Oslo"}' });
    expect(mock.calls).toBe(1);
  });

  it('responses: retrieve and delete go to the deployment that stored the response, one call each; then it is gone', async () => {
    const created = await alice.responses.create({ model: 'gpt', input: 'Remember me' });
    const retrieved = await alice.responses.retrieve(created.id);
    expect(retrieved.id).toBe(created.id);
    expect(retrieved.output_text).toBe(created.output_text);
    expect(mock.calls).toBe(2);
    expect(mock.requests[1]).toMatchObject({ path: `/v1/responses/${created.id}` });
    expect(mock.requests[1]!.headers.authorization).toBe(`Bearer ${OPENAI_ENV.OPENAI_API_KEY}`);
    await alice.responses.delete(created.id);
    expect(mock.calls).toBe(3);
    // Forgotten by the gateway too: the next retrieve is a 404 without a provider call.
    const gone = await failureOf(() => alice.responses.retrieve(created.id));
    expect(gone.status).toBe(404);
    expect(mock.calls).toBe(3);
  });

  it('responses: every ingress replica finds a stored response (the owner map is on the bus), a wildcard route\'s too', async () => {
    const otherReplica = new OpenAI({ apiKey: ALICE_KEY, baseURL: `${stack.ingressUrls[1]}/v1` });
    for (const model of ['gpt', 'openai/gpt-4o']) {
      const created = await alice.responses.create({ model, input: 'Anywhere' });
      expect((await otherReplica.responses.retrieve(created.id)).id).toBe(created.id);
    }
    expect(mock.requests.map((request) => request.path)).toEqual(['/v1/responses', expect.stringMatching(/^\/v1\/responses\/resp_/), '/v1/responses', expect.stringMatching(/^\/v1\/responses\/resp_/)]);
    expect(mock.requests[2]!.body).toMatchObject({ model: 'gpt-4o' });
  });

  it('responses: another caller gets a 404 for someone else\'s response, on retrieve, delete and previous_response_id, and nothing is called', async () => {
    const mine = await alice.responses.create({ model: 'gpt', input: 'Private' });
    for (const attempt of [
      () => bob.responses.retrieve(mine.id),
      () => bob.responses.delete(mine.id),
      () => bob.responses.create({ model: 'gpt', previous_response_id: mine.id, input: 'and?' }),
    ]) {
      const failure = await failureOf(attempt);
      expect(failure.status).toBe(404);
      expect(JSON.stringify(failure.error)).not.toContain('Private');
    }
    expect(mock.calls).toBe(1);
    // Still there for its owner.
    expect((await alice.responses.retrieve(mine.id)).id).toBe(mine.id);
  });

  it('responses: an unknown id and a store: false response are OpenAI-shaped 404s, with no provider call', async () => {
    const unstored = await alice.responses.create({ model: 'gpt', input: 'Forget me', store: false });
    expect(mock.calls).toBe(1);
    for (const id of [unstored.id, 'resp_0123456789abcdef', 'not/an id']) {
      const failure = await failureOf(() => alice.responses.retrieve(id));
      expect(failure.status).toBe(404);
      expect(failure.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining('not found') });
    }
    const unknownPrevious = await failureOf(() => alice.responses.create({ model: 'gpt', previous_response_id: 'resp_0123456789abcdef', input: 'x' }));
    expect(unknownPrevious).toMatchObject({ status: 404, error: expect.objectContaining({ code: 'previous_response_not_found', param: 'previous_response_id' }) });
    expect(mock.calls).toBe(1);
  });

  it('responses: previous_response_id pins to its deployment: asking for another model is a clear 400', async () => {
    const first = await alice.responses.create({ model: 'gpt', input: 'one' });
    const elsewhere = await failureOf(() => alice.responses.create({ model: 'azure-gpt', previous_response_id: first.id, input: 'two' }));
    expect(elsewhere).toMatchObject({ status: 400, error: expect.objectContaining({ code: 'previous_response_elsewhere' }) });
    expect(mock.calls).toBe(1);
  });

  it('responses: bad input is a 400 in OpenAI\'s shape and calls nothing', async () => {
    for (const body of [
      { model: 'gpt', input: 'x', max_output_tokens: 0 },
      { model: 'gpt', input: [{ type: 'function_call', name: 'f' }] },
      { model: 'gpt', input: 'x', text: { format: { type: 'json_schema' } } },
    ]) {
      const failure = await failureOf(() => alice.responses.create(body as never));
      expect(failure.status).toBe(400);
      expect(failure.error).toMatchObject({ type: 'invalid_request_error' });
    }
    expect(mock.calls).toBe(0);
  });

  it('responses: a passed-through stream the provider cuts mid-way ends with a Responses error event, after one call', async () => {
    mock.behave('gpt-4.1-mini', { reply: 'one two three four', streamChunks: 4, cutStreamAfter: 2 });
    const stream = await alice.responses.create({ model: 'gpt', input: 'Cut me', stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.filter((event) => event.type === 'response.output_text.delta')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'upstream_stream_interrupted' });
    expect(events.some((event) => event.type === 'response.completed')).toBe(false);
    expect(mock.calls).toBe(1);
    // No usage came: the limiter settles to what was streamed, counted (never the whole reservation left standing).
    expect(await settledTokens(redis, stack.names.prefix, 'gpt-openai')).toBeGreaterThan(0);
  });

  it('responses: a provider error echoing the gateway\'s key reaches the client scrubbed, with the provider\'s status', async () => {
    mock.behave('gpt-4.1-mini', { status: 400, errorBody: { error: { message: 'bad request from {{header:authorization}}', type: 'invalid_request_error', param: 'input', code: null } } });
    const failure = await failureOf(() => alice.responses.create({ model: 'gpt', input: 'x' }));
    expect(failure.status).toBe(400);
    expect(JSON.stringify(failure.error)).not.toContain(OPENAI_ENV.OPENAI_API_KEY);
    expect(failure.error).toMatchObject({ param: 'input' });
    expect(mock.calls).toBe(1);
  });

  it('responses: an Azure deployment serves create, stream and retrieve on its v1 surface with its api-key', async () => {
    const input: ResponseInputItem[] = [{ role: 'user', content: [{ type: 'input_text', text: 'Hi Azure' }] }];
    const created = await alice.responses.create({ model: 'azure-gpt', input });
    expect(created.output_text).toBe('This is a mock response to: Hi Azure');
    const sent = mock.requests[0]!;
    expect(sent.path).toBe('/openai/v1/responses');
    expect(sent.headers['api-key']).toBe(OPENAI_ENV.AZURE_API_KEY);
    expect(sent.body).toMatchObject({ model: 'my-gpt-deployment' });
    const streamed = await alice.responses.stream({ model: 'azure-gpt', input: 'Stream, Azure' }).finalResponse();
    expect(streamed.output[0]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text: 'This is a mock response to: Stream, Azure' }] });
    expect((await alice.responses.retrieve(created.id)).id).toBe(created.id);
    expect(mock.requests[2]!.path).toBe(`/openai/v1/responses/${created.id}`);
    expect(mock.calls).toBe(3);
    expect(await settledTokens(redis, stack.names.prefix, 'gpt-azure')).toBe(mock.billedTokens);
  });
});
