import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@switchyard/telemetry';
import { startGeminiMock, startInProcessStack, type GeminiMock, type InProcessStack } from '../harness/index.js';
import { capturingFetch, sseData } from '../conformance/capture.js';
import { loadConformance, type SchemaName } from '../conformance/openapi.js';
import { failureOf, settledTokenTotals } from './helpers.js';

/**
 * The official OpenAI SDK against `gemini/` (Google AI Studio) deployments
 * through the whole stack: the gateway translates chat completions and
 * embeddings to the Gemini API and back, and the mock refuses anything
 * Google would refuse.
 */

const MASTER_KEY = 'sk-test-master';
const GEMINI_KEY = 'AIzaSy-test-gemini-key-0123456789';
const WRONG_KEY = 'AIzaSy-revoked-key-9876543210';

function config(mockUrl: string): string {
  return `model_list:
  - model_name: flash
    litellm_params:
      model: gemini/gemini-2.5-flash
      api_base: ${mockUrl}
      api_key: os.environ/GEMINI_API_KEY
      tpm: 1000000
  - model_name: "gemini/*"
    litellm_params:
      model: "gemini/*"
      api_base: ${mockUrl}
  - model_name: embed
    litellm_params:
      model: gemini/text-embedding-004
      api_base: ${mockUrl}
  - model_name: wrong-key
    litellm_params:
      model: gemini/gemini-2.5-flash
      api_base: ${mockUrl}
      api_key: os.environ/WRONG_GEMINI_KEY
general_settings:
  master_key: ${MASTER_KEY}
`;
}

describe('providers gemini: the OpenAI SDK against a gemini deployment', () => {
  let mock: GeminiMock;
  let stack: InProcessStack;
  let client: OpenAI;
  let redis: Redis;
  const logLines: string[] = [];

  beforeAll(async () => {
    // AI Studio needs no service account; the mock's token endpoint is unused here.
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    mock = await startGeminiMock({
      apiKey: GEMINI_KEY,
      serviceAccount: { clientEmail: 'unused@example.iam.gserviceaccount.com', publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      project: 'unused',
      location: 'us-central1',
    });
    const logs = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: config(mock.url),
      env: { GEMINI_API_KEY: GEMINI_KEY, WRONG_GEMINI_KEY: WRONG_KEY },
      logger: createLogger({ service: 'test', level: 'debug', destination: logs }),
    });
    client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0 });
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
    redis?.disconnect();
  });
  beforeEach(() => mock.reset());
  afterEach(() => {
    // Every request the gateway sent passed Google's checks, and the key never left in a URL or a log line.
    expect(mock.refusals).toEqual([]);
    for (const request of mock.requests) expect(request.query).not.toContain(GEMINI_KEY);
    expect(logLines.join('')).not.toContain(GEMINI_KEY);
    expect(logLines.join('')).not.toContain(WRONG_KEY);
  });

  it('providers gemini: a chat with a system prompt is one generateContent call, with the usage Gemini reported', async () => {
    mock.behave('gemini-2.5-flash', { reply: 'Hello from Gemini' });
    const completion = await client.chat.completions.create({
      model: 'flash',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
      stop: ['END'],
      temperature: 1.5,
      max_tokens: 50,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Hello from Gemini' });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(mock.calls).toBe(1);
    const sent = mock.requests[0]!;
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { temperature: 1.5, stopSequences: ['END'], maxOutputTokens: 50 },
    });
    expect(completion.usage!.total_tokens).toBe(mock.billedTokens);
  });

  it('providers gemini: a tool-call stream assembles in the SDK, ends with one usage chunk, and is one call', async () => {
    mock.behave('gemini-2.5-flash', { reply: 'Let me check.', toolCalls: [{ name: 'weather', args: { city: 'Oslo', unit: 'C' } }] });
    const stream = await client.chat.completions.create({
      model: 'flash',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['C', 'F'] } }, additionalProperties: false } } }],
      tool_choice: 'auto',
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Let me check.');
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'weather' } });
    expect(JSON.parse(calls[0]!.function!.arguments!)).toEqual({ city: 'Oslo', unit: 'C' });
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'tool_calls')).toBe(true);
    expect(chunks.filter((chunk) => chunk.usage != null)).toHaveLength(1);
    expect(chunks.at(-1)!.usage!.total_tokens).toBe(mock.billedTokens);
    expect(mock.requests[0]!.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    expect(mock.requests[0]!.query).toBe('alt=sse');
    expect(mock.requests[0]!.body).toMatchObject({ toolConfig: { functionCallingConfig: { mode: 'AUTO' } } });
    expect(mock.calls).toBe(1);
  });

  it('providers gemini: tool results, assistant tool calls and images are a conversation Gemini accepts (wildcard route, key from GEMINI_API_KEY)', async () => {
    const completion = await client.chat.completions.create({
      model: 'gemini/gemini-2.0-flash',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{"x":1}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
        { role: 'user', content: 'Thanks, and?' },
      ],
      tools: [{ type: 'function', function: { name: 'look', parameters: { type: 'object', properties: { x: { type: 'integer' } } } } }],
    });
    expect(completion.choices[0]!.message.content).toBe('Mock Gemini answers: Thanks, and?');
    expect(mock.requests[0]!.path).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(mock.requests[0]!.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(mock.calls).toBe(1);
  });

  it('providers gemini: embeddings are one batchEmbedContents call, in the base64 form the SDK asks for and as floats', async () => {
    const encoded = await client.embeddings.create({ model: 'embed', input: ['first text', 'second'], dimensions: 4 });
    expect(mock.calls).toBe(1);
    expect(encoded.data).toHaveLength(2);
    expect(encoded.data[0]!.embedding).toHaveLength(4);
    const floats = await client.embeddings.create({ model: 'embed', input: ['first text', 'second'], dimensions: 4, encoding_format: 'float' });
    expect(mock.calls).toBe(2);
    // float32 on the wire: the same vectors within float32's precision.
    encoded.data.forEach((item, i) => item.embedding.forEach((value, j) => expect(value).toBeCloseTo(floats.data[i]!.embedding[j]!, 6)));
    expect(floats.usage).toMatchObject({ prompt_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    expect(mock.requests[0]!.path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
  });

  it('providers gemini: a request Gemini cannot serve is a 400 before any call; a 429 RESOURCE_EXHAUSTED is an OpenAI 429 after one', async () => {
    const refused = await failureOf(() => client.chat.completions.create({ model: 'flash', logit_bias: { 50256: -100 }, messages: [{ role: 'user', content: 'hi' }] }));
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).param).toBe('logit_bias');
    expect(mock.calls).toBe(0);

    mock.behave('gemini-2.5-flash', { status: 429 });
    const limited = await failureOf(() => client.chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: 'hi' }] }));
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.APIError>).code).toBe('RESOURCE_EXHAUSTED');
    expect((limited as InstanceType<typeof OpenAI.APIError>).message).toContain('Resource has been exhausted');
    expect(mock.calls).toBe(1);
  });

  it('providers gemini: an error body echoing the key reaches neither the client nor the logs', async () => {
    mock.behave('gemini-2.5-flash', { status: 400, errorMessage: `Invalid request for key ${GEMINI_KEY}` });
    const failed = await failureOf(() => client.chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: 'hi' }] }));
    expect(failed).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failed as InstanceType<typeof OpenAI.APIError>).message).toContain('[redacted]');
    expect(JSON.stringify(failed)).not.toContain(GEMINI_KEY);
    expect(mock.calls).toBe(1);
  });

  it('providers gemini: a key Google rejects (400 API_KEY_INVALID) is the gateway\'s credentials failing: a 502, not the client\'s 400', async () => {
    const failed = await failureOf(() => client.chat.completions.create({ model: 'wrong-key', messages: [{ role: 'user', content: 'hi' }] }));
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError);
    expect((failed as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((failed as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_auth_failed');
    expect(JSON.stringify(failed)).not.toContain(WRONG_KEY);
    // The mock refused the key, as Google would: this test's one expected refusal.
    expect(mock.refusals).toEqual(['API key not valid. Please pass a valid API key.']);
    mock.reset();
  });

  it('providers gemini: a stream cut before Gemini finished is an error to the SDK, not a short answer', async () => {
    mock.behave('gemini-2.5-flash', { reply: 'a long answer that is cut', cutStream: true });
    const stream = await client.chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const failed = await failureOf(async () => {
      for await (const _chunk of stream) {
        // read to the end
      }
    });
    expect(failed).toBeInstanceOf(OpenAI.APIError);
    expect(mock.calls).toBe(1);
  });

  it('providers gemini: the limiter settles the reservation to the tokens Gemini reported', async () => {
    mock.behave('gemini-2.5-flash', { reply: 'short' });
    const totals = await settledTokenTotals(redis, stack, () => client.chat.completions.create({ model: 'flash', max_tokens: 2000, messages: [{ role: 'user', content: 'Count to three' }] }));
    expect(mock.calls).toBe(1);
    expect(totals.length).toBeGreaterThan(0);
    for (const total of totals) expect(total).toBe(mock.billedTokens);
  });

  it('providers gemini: every answer the translation makes conforms to OpenAI\'s OpenAPI spec, on the wire', async () => {
    const spec = loadConformance();
    const capture = capturingFetch();
    const captured = capture.responses;
    const checked = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, fetch: capture.fetch, maxRetries: 0 });
    const conforms = async (schema: SchemaName, index: number) => {
      const value = JSON.parse(await captured[index]!.text) as unknown;
      expect(spec.problems(schema, value), JSON.stringify(value).slice(0, 300)).toEqual([]);
    };
    mock.behave('gemini-2.5-flash', { reply: 'Checking.', toolCalls: [{ name: 'weather', args: { city: 'Oslo' } }] });
    const tools = [{ type: 'function' as const, function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    await checked.chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: 'hi' }], tools, n: 2 });
    await conforms('CreateChatCompletionResponse', 0);
    const stream = await checked.chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: 'hi' }], tools, stream: true, stream_options: { include_usage: true } });
    for await (const _chunk of stream) {
      // read to the end
    }
    const events = sseData(await captured[1]!.text);
    expect(events.length).toBeGreaterThan(2);
    for (const event of events) expect(spec.problems('CreateChatCompletionStreamResponse', event), JSON.stringify(event)).toEqual([]);
    // The spec knows only float vectors: the base64 answer is checked as the SDK decoded it.
    const decoded = await checked.embeddings.create({ model: 'embed', input: 'one text' });
    expect(spec.problems('CreateEmbeddingResponse', decoded)).toEqual([]);
    await checked.embeddings.create({ model: 'embed', input: ['one', 'two'], encoding_format: 'float' });
    await conforms('CreateEmbeddingResponse', 3);
    mock.behave('gemini-2.5-flash', { status: 429 });
    await failureOf(() => checked.chat.completions.create({ model: 'flash', messages: [{ role: 'user', content: 'hi' }] }));
    await conforms('ErrorResponse', 4);
    expect(mock.calls).toBe(5);
  });
});
