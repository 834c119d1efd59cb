import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { manyModelsConfig, PROVIDER_KEY_ENV } from '../request-path/fixtures.js';
import { capturingFetch, sseData, type Captured } from './capture.js';
import { loadConformance, type Conformance, type SchemaName } from './openapi.js';

/**
 * Every answer of the served endpoints, checked against OpenAI's OpenAPI
 * spec: the bytes on the wire (captured beside the official SDK) and the
 * objects the SDK made of them. Plain and streamed chat and completions,
 * embeddings, the model list and one model, and the error bodies of every
 * status the gateway answers with.
 */

const MASTER_KEY = 'sk-conformance-master';

describe('conformance: responses against OpenAI\'s OpenAPI spec', () => {
  let spec: Conformance;
  let mock: MockProvider;
  let stack: InProcessStack;
  let baseURL: string;
  let captured: Captured[];
  let client: OpenAI;

  beforeAll(async () => {
    spec = loadConformance();
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: manyModelsConfig(mock.url, { count: 4, masterKey: MASTER_KEY, maxRequestBodyBytes: 64 * 1024, modelParams: { 3: { timeout: 0.3 } } }),
      env: PROVIDER_KEY_ENV,
    });
    baseURL = `${stack.ingressUrls[0]}/v1`;
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => {
    mock.reset();
    const capture = capturingFetch();
    captured = capture.responses;
    // No retries: each test sees exactly the one answer it provoked.
    client = new OpenAI({ apiKey: MASTER_KEY, baseURL, fetch: capture.fetch, maxRetries: 0 });
  });

  function expectConforms(schema: SchemaName, value: unknown): void {
    expect(spec.problems(schema, value), `${schema}: ${JSON.stringify(value).slice(0, 300)}`).toEqual([]);
  }

  /** The one response the test's SDK call received, parsed as JSON. */
  async function wireJson(): Promise<unknown> {
    expect(captured).toHaveLength(1);
    return JSON.parse(await captured[0]!.text) as unknown;
  }

  async function wireEvents(): Promise<unknown[]> {
    expect(captured).toHaveLength(1);
    expect(captured[0]!.headers.get('content-type')).toMatch(/^text\/event-stream/);
    return sseData(await captured[0]!.text);
  }

  async function failureOf(call: () => Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
    try {
      await call();
    } catch (error) {
      if (error instanceof OpenAI.APIError) return error;
      throw error;
    }
    throw new Error('expected the call to fail, and it succeeded');
  }

  const messages = [{ role: 'user' as const, content: 'Say hello' }];

  it('conformance: a chat completion', async () => {
    const completion = await client.chat.completions.create({ model: 'model-0', messages });

    expectConforms('CreateChatCompletionResponse', completion);
    expectConforms('CreateChatCompletionResponse', await wireJson());
  });

  it('conformance: every chunk of a streamed chat, without usage when the client did not ask for it', async () => {
    const stream = await client.chat.completions.create({ model: 'model-1', messages, stream: true });
    const chunks: unknown[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const wire = await wireEvents();
    expect(wire.length).toBeGreaterThan(1);
    expect(chunks).toHaveLength(wire.length);
    for (const chunk of [...chunks, ...wire]) expectConforms('CreateChatCompletionStreamResponse', chunk);
    expect(await captured[0]!.text).not.toContain('"usage"');
  });

  it('conformance: every chunk of a streamed chat with include_usage, the usage chunk included', async () => {
    const stream = await client.chat.completions.create({ model: 'model-1', messages, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) expectConforms('CreateChatCompletionStreamResponse', chunk);

    const wire = await wireEvents();
    for (const chunk of wire) expectConforms('CreateChatCompletionStreamResponse', chunk);
    const withUsage = wire.filter((chunk) => (chunk as { usage?: unknown }).usage != null);
    expect(withUsage).toHaveLength(1);
    expect((withUsage[0] as { choices: unknown[] }).choices).toEqual([]);
  });

  it('conformance: a completion, plain and streamed', async () => {
    const completion = await client.completions.create({ model: 'model-2', prompt: 'Say hello' });
    expectConforms('CreateCompletionResponse', completion);
    expectConforms('CreateCompletionResponse', await wireJson());

    captured.length = 0;
    const stream = await client.completions.create({ model: 'model-2', prompt: 'Say hello', stream: true });
    for await (const chunk of stream) expectConforms('CreateCompletionStreamChunk', chunk);
    const wire = await wireEvents();
    for (const chunk of wire) expectConforms('CreateCompletionStreamChunk', chunk);
    // The last chunk says why the completion ended, as the unrelaxed schema requires.
    expectConforms('CreateCompletionResponse', wire.at(-1));
  });

  it('conformance: embeddings as floats, and as base64 (what the SDK asks for by default) decoded by the SDK', async () => {
    const floats = await client.embeddings.create({ model: 'embed', input: ['hello', 'world'], encoding_format: 'float' });
    expectConforms('CreateEmbeddingResponse', floats);
    expectConforms('CreateEmbeddingResponse', await wireJson());

    const decoded = await client.embeddings.create({ model: 'embed', input: ['hello', 'world'] });
    expectConforms('CreateEmbeddingResponse', decoded);
    expect(mock.requests.at(-1)!.body).toMatchObject({ encoding_format: 'base64' });
    decoded.data.forEach((item, index) => {
      const expected = floats.data[index]!.embedding;
      expect(item.embedding).toHaveLength(expected.length);
      item.embedding.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 6));
    });
  });

  it('conformance: the model list and one model', async () => {
    const page = await client.models.list();
    expectConforms('ListModelsResponse', await wireJson());
    expect(page.data.length).toBeGreaterThan(0);
    for (const model of page.data) expectConforms('Model', model);

    captured.length = 0;
    const model = await client.models.retrieve('model-0');
    expectConforms('Model', model);
    expectConforms('Model', await wireJson());
  });

  describe('conformance: error bodies', () => {
    async function expectErrorBody(status: number): Promise<void> {
      expect(captured.at(-1)!.status).toBe(status);
      expectConforms('ErrorResponse', JSON.parse(await captured.at(-1)!.text));
    }

    it('conformance: 400 (invalid body), 401 (wrong key), 404 (unknown model, unknown endpoint)', async () => {
      await failureOf(() => client.chat.completions.create({ model: 'model-0', messages: [] }));
      await expectErrorBody(400);

      const { fetch: strangerFetch, responses } = capturingFetch();
      const stranger = new OpenAI({ apiKey: 'sk-wrong', baseURL, fetch: strangerFetch, maxRetries: 0 });
      await failureOf(() => stranger.chat.completions.create({ model: 'model-0', messages }));
      expect(responses[0]!.status).toBe(401);
      expectConforms('ErrorResponse', JSON.parse(await responses[0]!.text));

      await failureOf(() => client.chat.completions.create({ model: 'no-such-model', messages }));
      await expectErrorBody(404);
      await failureOf(() => client.models.retrieve('no/such-model'));
      await expectErrorBody(404);
      await failureOf(() => client.get('/no-such-endpoint'));
      await expectErrorBody(404);
      expect(mock.calls).toBe(0);
    });

    it('conformance: 413 (body over the limit) and 415 (not JSON)', async () => {
      const big = await fetch(`${baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'model-0', messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] }),
      });
      expect(big.status).toBe(413);
      expectConforms('ErrorResponse', await big.json());

      const text = await fetch(`${baseURL}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}` }, body: 'hello' });
      expect(text.status).toBe(415);
      expectConforms('ErrorResponse', await text.json());
    });

    it('conformance: 429, 502 and 504 from the provider side', async () => {
      mock.behave('provider-model-0', { status: 429, retryAfter: 1 });
      await failureOf(() => client.chat.completions.create({ model: 'model-0', messages }));
      await expectErrorBody(429);

      mock.behave('provider-model-1', { status: 500, errorBody: '<html>upstream broke</html>' });
      await failureOf(() => client.chat.completions.create({ model: 'model-1', messages }));
      await expectErrorBody(502);

      mock.behave('provider-model-3', { latencyMs: 1_000 });
      await failureOf(() => client.chat.completions.create({ model: 'model-3', messages }));
      await expectErrorBody(504);
    });

    it('conformance: a stream that breaks ends with an error event in the shape of an error body', async () => {
      // The pause lets the response head reach the client before the cut (a cut within the first packet is a 502).
      mock.behave('provider-model-2', { reply: 'one two three four five six seven eight', streamChunks: 4, cutStreamAfter: 2, chunkDelayMs: 100 });
      const stream = await client.chat.completions.create({ model: 'model-2', messages, stream: true });
      const error = await failureOf(async () => {
        for await (const chunk of stream) expectConforms('CreateChatCompletionStreamResponse', chunk);
      });
      expect(error).toBeInstanceOf(OpenAI.APIError);

      const wire = await wireEvents();
      const last = wire.at(-1);
      expectConforms('ErrorResponse', last);
      for (const chunk of wire.slice(0, -1)) expectConforms('CreateChatCompletionStreamResponse', chunk);
    });
  });
});
