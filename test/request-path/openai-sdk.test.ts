import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { manyModelsConfig, PROVIDER_KEY_ENV } from './fixtures.js';

/**
 * The official OpenAI SDK is the client most users point at a gateway: every
 * answer must parse as OpenAI's, and every error must map to the SDK's typed
 * error for its status.
 */

const MASTER_KEY = 'sk-test-master';

/** Runs `call`, which must fail, and returns what it threw. */
async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}

describe('request path: the official OpenAI SDK against the gateway', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let client: OpenAI;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: manyModelsConfig(mock.url, { masterKey: MASTER_KEY }),
      env: PROVIDER_KEY_ENV,
    });
    client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  it('request path: completes a chat with one provider call', async () => {
    const completion = await client.chat.completions.create({
      model: 'model-0',
      messages: [{ role: 'user', content: 'Say hello' }],
    });

    expect(completion.object).toBe('chat.completion');
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]!.message.role).toBe('assistant');
    expect(completion.choices[0]!.message.content).toContain('Say hello');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    expect(mock.callsByModel()).toEqual({ 'provider-model-0': 1 });
  });

  it('request path: streams a chat that the SDK assembles, ending with one usage chunk when asked', async () => {
    mock.behave('provider-model-1', { reply: 'one two three four five six', streamChunks: 3 });
    const stream = await client.chat.completions.create({
      model: 'model-1',
      messages: [{ role: 'user', content: 'Count' }],
      stream: true,
      stream_options: { include_usage: true },
    });

    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('one two three four five six');
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'stop')).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    expect(chunks.filter((chunk) => chunk.usage != null)).toHaveLength(1);
    expect(mock.calls).toBe(1);
  });

  it('request path: creates an embedding with one provider call', async () => {
    const response = await client.embeddings.create({ model: 'embed', input: 'hello world', encoding_format: 'float' });

    expect(response.object).toBe('list');
    expect(response.data).toHaveLength(1);
    expect(response.data[0]!.embedding.length).toBeGreaterThan(0);
    expect(response.data[0]!.embedding.every((value) => typeof value === 'number')).toBe(true);
    expect(mock.callsByModel()).toEqual({ 'embedding-model': 1 });
  });

  it('request path: lists every model and alias without calling the provider', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);

    expect(ids).toEqual(expect.arrayContaining(['model-0', 'model-37', 'pool', 'embed', 'smart']));
    expect(ids).toHaveLength(38 + 3);
    expect(mock.calls).toBe(0);
  });

  it('ingress: a wrong key is an AuthenticationError (401) and calls nothing', async () => {
    const stranger = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0 });
    const error = await failureOf(() => stranger.chat.completions.create({ model: 'model-0', messages: [{ role: 'user', content: 'hi' }] }));

    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
    expect(mock.calls).toBe(0);
  });

  it('ingress: an unknown model is a NotFoundError (404) and calls nothing', async () => {
    const error = await failureOf(() => client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }));

    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const notFound = error as InstanceType<typeof OpenAI.NotFoundError>;
    expect(notFound.status).toBe(404);
    expect(notFound.code).toBe('model_not_found');
    expect(notFound.param).toBe('model');
    expect(mock.calls).toBe(0);
  });

  it('ingress: an invalid body (empty messages) is a BadRequestError (400) and calls nothing', async () => {
    const error = await failureOf(() => client.chat.completions.create({ model: 'model-0', messages: [] }));

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const badRequest = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(badRequest.status).toBe(400);
    expect(badRequest.param).toBe('messages');
    expect(mock.calls).toBe(0);
  });

  it('request path: a provider 429 reaches the client as a RateLimitError with its Retry-After, after one call', async () => {
    mock.behave('provider-model-2', { status: 429, retryAfter: 3 });
    const error = await failureOf(() => client.chat.completions.create({ model: 'model-2', messages: [{ role: 'user', content: 'hi' }] }));

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimited = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimited.status).toBe(429);
    expect(rateLimited.headers.get('retry-after')).toBe('3');
    expect(rateLimited.headers.get('x-switchyard-attempts')).toBe('1');
    expect(mock.calls).toBe(1);
  });

  it('request path: a provider 500 is an APIError with status 502, after one call', async () => {
    mock.behave('provider-model-3', { status: 500 });
    const error = await failureOf(() => client.chat.completions.create({ model: 'model-3', messages: [{ role: 'user', content: 'hi' }] }));

    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(502);
    expect(apiError.type).toEqual(expect.any(String));
    expect(apiError.message).not.toContain(PROVIDER_KEY_ENV.MOCK_PROVIDER_KEY);
    expect(mock.calls).toBe(1);
  });
});
