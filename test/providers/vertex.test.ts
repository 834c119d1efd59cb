import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@switchyard/telemetry';
import { startGeminiMock, startInProcessStack, type GeminiMock, type InProcessStack } from '../harness/index.js';
import { capturingFetch } from '../conformance/capture.js';
import { loadConformance } from '../conformance/openapi.js';
import { serviceAccountKey } from './google.js';
import { failureOf, settledTokenTotals } from './helpers.js';

/**
 * The official OpenAI SDK against `vertex_ai/` deployments through the whole
 * stack: Gemini and Claude models on Vertex AI, each call authorised with an
 * OAuth token that google-auth-library gets from the mock's token endpoint
 * with a service-account key made for the test.
 */

const MASTER_KEY = 'sk-test-master';
const PROJECT = 'switchyard-test';
const LOCATION = 'europe-west4';
const CLIENT_EMAIL = 'gateway@switchyard-test.iam.gserviceaccount.com';

const serviceAccount = (privateKey: string, tokenUri: string, keyId?: string): string =>
  serviceAccountKey({ privateKey, tokenUri, project: PROJECT, clientEmail: CLIENT_EMAIL, ...(keyId === undefined ? {} : { keyId }) });

function config(mockUrl: string): string {
  return `model_list:
  - model_name: pro
    litellm_params:
      model: vertex_ai/gemini-2.5-pro
      api_base: ${mockUrl}
      vertex_credentials: os.environ/VERTEX_SA
      vertex_location: ${LOCATION}
      tpm: 1000000
  - model_name: claude
    litellm_params:
      model: vertex_ai/claude-sonnet-4@20250514
      api_base: ${mockUrl}
      vertex_credentials: os.environ/VERTEX_SA
      vertex_project: ${PROJECT}
      vertex_location: ${LOCATION}
  - model_name: embed
    litellm_params:
      model: vertex_ai/text-embedding-005
      api_base: ${mockUrl}
      vertex_credentials: os.environ/VERTEX_SA
  - model_name: renewed
    litellm_params:
      model: vertex_ai/gemini-2.5-flash
      api_base: ${mockUrl}
      vertex_credentials: os.environ/VERTEX_SA_SECOND_KEY
      vertex_location: ${LOCATION}
  - model_name: parallel
    litellm_params:
      model: vertex_ai/gemini-2.5-flash
      api_base: ${mockUrl}
      vertex_credentials: os.environ/VERTEX_SA_THIRD_KEY
      vertex_location: ${LOCATION}
  - model_name: slow-token
    litellm_params:
      model: vertex_ai/gemini-2.5-flash
      api_base: ${mockUrl}
      vertex_credentials: os.environ/VERTEX_SA_FOURTH_KEY
      vertex_location: ${LOCATION}
      timeout: 1
  - model_name: stranger
    litellm_params:
      model: vertex_ai/gemini-2.5-flash
      api_base: ${mockUrl}
      vertex_credentials: os.environ/STRANGER_SA
      vertex_location: ${LOCATION}
general_settings:
  master_key: ${MASTER_KEY}
`;
}

describe('providers vertex: the OpenAI SDK against vertex_ai deployments', () => {
  let mock: GeminiMock;
  let stack: InProcessStack;
  let client: OpenAI;
  let redis: Redis;
  let privateKey: string;
  const logLines: string[] = [];
  /** Every secret of the test: the key, its PEM body, and each token the mock issued. */
  const secrets = (): string[] => [privateKey, privateKey.replace(/-----[A-Z ]+-----|\s/g, ''), ...mock.issuedTokens];

  beforeAll(async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // A key the token endpoint does not know: the credentials of another account.
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    mock = await startGeminiMock({
      apiKey: 'unused-ai-studio-key',
      serviceAccount: { clientEmail: CLIENT_EMAIL, publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      project: PROJECT,
      location: LOCATION,
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
      // The embed deployment names no location: LiteLLM's VERTEXAI_LOCATION stands in.
      env: {
        VERTEX_SA: serviceAccount(privateKey, mock.tokenUri),
        // The same account with its key listed under another id: a client (and token) of its own.
        VERTEX_SA_SECOND_KEY: serviceAccount(privateKey, mock.tokenUri, 'test-key-id-second'),
        VERTEX_SA_THIRD_KEY: serviceAccount(privateKey, mock.tokenUri, 'test-key-id-third'),
        VERTEX_SA_FOURTH_KEY: serviceAccount(privateKey, mock.tokenUri, 'test-key-id-fourth'),
        STRANGER_SA: serviceAccount(stranger, mock.tokenUri), VERTEXAI_LOCATION: LOCATION },
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
    expect(mock.refusals).toEqual([]);
    const logs = logLines.join('');
    for (const secret of secrets()) expect(logs).not.toContain(secret);
  });

  it('providers vertex: a Gemini chat is one generateContent call on the project\'s model, with a token from the service account', async () => {
    const completion = await client.chat.completions.create({
      model: 'pro',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
      top_p: 0.5,
    });
    expect(completion.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Mock Gemini answers: Say hello' });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(mock.calls).toBe(1);
    const sent = mock.requests[0]!;
    expect(sent.path).toBe(`/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/gemini-2.5-pro:generateContent`);
    expect(mock.issuedTokens).toContain(sent.headers.authorization!.replace(/^Bearer /, ''));
    expect(sent.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { topP: 0.5 },
    });
    expect(completion.usage!.total_tokens).toBe(mock.billedTokens);
  });

  it('providers vertex: the token is cached: later calls do not ask the token endpoint again', async () => {
    await client.chat.completions.create({ model: 'pro', messages: [{ role: 'user', content: 'one' }] });
    const tokenCalls = mock.tokenCalls;
    await client.chat.completions.create({ model: 'pro', messages: [{ role: 'user', content: 'two' }] });
    await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'three' }] });
    expect(mock.tokenCalls).toBe(tokenCalls);
    expect(mock.calls).toBe(3);
  });

  it('providers vertex: a token about to expire is renewed before the call, and the renewed one is accepted', async () => {
    // google-auth-library renews a token within five minutes of its expiry: a two-minute token is renewed on every call.
    mock.setTokenLifetime(120);
    try {
      const before = mock.tokenCalls;
      await client.chat.completions.create({ model: 'renewed', messages: [{ role: 'user', content: 'one' }] });
      await client.chat.completions.create({ model: 'renewed', messages: [{ role: 'user', content: 'two' }] });
      expect(mock.tokenCalls).toBe(before + 2);
      const [first, second] = mock.requests.map((request) => request.headers.authorization);
      expect(first).not.toBe(second);
      expect(mock.calls).toBe(2);
    } finally {
      mock.setTokenLifetime(3599);
    }
  });

  it('providers vertex: calls that start together before any token share one token request', async () => {
    const before = mock.tokenCalls;
    await Promise.all(Array.from({ length: 5 }, (_, i) => client.chat.completions.create({ model: 'parallel', messages: [{ role: 'user', content: `call ${i}` }] })));
    expect(mock.tokenCalls).toBe(before + 1);
    expect(mock.calls).toBe(5);
  });

  it('providers vertex: a Gemini tool-call stream assembles in the SDK, ends with one usage chunk, and is one call', async () => {
    mock.behave('gemini-2.5-pro', { reply: 'Checking.', toolCalls: [{ name: 'weather', args: { city: 'Oslo' } }, { name: 'time', args: { zone: 'CET' } }] });
    const stream = await client.chat.completions.create({
      model: 'pro',
      messages: [{ role: 'user', content: 'Weather and time in Oslo?' }],
      tools: [
        { type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
        { type: 'function', function: { name: 'time', parameters: { type: 'object', properties: { zone: { type: ['string', 'null'] } } } } },
      ],
      tool_choice: 'required',
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Checking.');
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls.map((call) => [call.index, call.function?.name, JSON.parse(call.function!.arguments!)])).toEqual([
      [0, 'weather', { city: 'Oslo' }],
      [1, 'time', { zone: 'CET' }],
    ]);
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'tool_calls')).toBe(true);
    expect(chunks.filter((chunk) => chunk.usage != null)).toHaveLength(1);
    expect(chunks.at(-1)!.usage!.total_tokens).toBe(mock.billedTokens);
    expect(mock.requests[0]!.path).toMatch(/:streamGenerateContent$/);
    expect(mock.requests[0]!.body).toMatchObject({ toolConfig: { functionCallingConfig: { mode: 'ANY' } } });
    expect(mock.calls).toBe(1);
  });

  it('providers vertex: Claude on Vertex is one rawPredict call with Anthropic\'s body, anthropic_version and no model', async () => {
    const completion = await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
      max_tokens: 300,
    });
    expect(completion.choices[0]!.message.content).toBe('Mock Claude on Vertex answers: Say hello');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage!.total_tokens).toBe(mock.billedTokens);
    const sent = mock.requests[0]!;
    expect(sent.path).toBe(`/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict`);
    expect(sent.body).toEqual({ anthropic_version: 'vertex-2023-10-16', messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello' }] }], system: [{ type: 'text', text: 'Be brief.' }], max_tokens: 300 });
    expect(mock.calls).toBe(1);
  });

  it('providers vertex: Claude on Vertex streams through streamRawPredict as OpenAI chunks with one usage chunk', async () => {
    mock.behave('claude-sonnet-4@20250514', { reply: 'Hello there, streamed.' });
    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Hello there, streamed.');
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'stop')).toBe(true);
    expect(chunks.filter((chunk) => chunk.usage != null)).toHaveLength(1);
    expect(chunks.at(-1)!.usage!.total_tokens).toBe(mock.billedTokens);
    expect(mock.requests[0]!.path).toMatch(/:streamRawPredict$/);
    expect(mock.requests[0]!.body).toMatchObject({ stream: true, anthropic_version: 'vertex-2023-10-16' });
    expect(mock.calls).toBe(1);
  });

  it('providers vertex: a Claude stream cut before message_stop is an error to the SDK, not a short answer', async () => {
    mock.behave('claude-sonnet-4@20250514', { reply: 'a long answer that is cut', cutStream: true });
    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const failed = await failureOf(async () => {
      for await (const _chunk of stream) {
        // read to the end
      }
    });
    expect(failed).toBeInstanceOf(OpenAI.APIError);
    expect(mock.calls).toBe(1);
  });

  it('providers vertex: embeddings are one predict call, with the tokens Vertex counted', async () => {
    const result = await client.embeddings.create({ model: 'embed', input: ['a first text', 'a second one'], dimensions: 6 });
    expect(result.data.map((item) => item.embedding.length)).toEqual([6, 6]);
    expect(result.usage.total_tokens).toBe(mock.billedTokens);
    expect(mock.requests[0]!.path).toBe(`/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/text-embedding-005:predict`);
    expect(mock.calls).toBe(1);
  });

  it('providers vertex: a 429 RESOURCE_EXHAUSTED is an OpenAI 429 after one call', async () => {
    mock.behave('gemini-2.5-pro', { status: 429 });
    const limited = await failureOf(() => client.chat.completions.create({ model: 'pro', messages: [{ role: 'user', content: 'hi' }] }));
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.APIError>).code).toBe('RESOURCE_EXHAUSTED');
    expect(mock.calls).toBe(1);
  });

  it('providers vertex: an error body echoing the token and the private key reaches neither the client nor the logs', async () => {
    await client.chat.completions.create({ model: 'pro', messages: [{ role: 'user', content: 'warm the token' }] });
    const token = mock.requests[0]!.headers.authorization!.replace(/^Bearer /, '');
    mock.behave('gemini-2.5-pro', { status: 400, errorMessage: `Bad request with token ${token} signed by ${privateKey.replace(/-----[A-Z ]+-----|\s/g, '')}` });
    const failed = await failureOf(() => client.chat.completions.create({ model: 'pro', messages: [{ role: 'user', content: 'hi' }] }));
    expect(failed).toBeInstanceOf(OpenAI.BadRequestError);
    const seen = JSON.stringify({ message: (failed as Error).message, error: (failed as InstanceType<typeof OpenAI.APIError>).error });
    expect(seen).toContain('[redacted]');
    for (const secret of secrets()) expect(seen).not.toContain(secret);
    expect(mock.calls).toBe(2);
  });

  it('providers vertex: credentials the token endpoint refuses are a 502 naming the reason, and no model call', async () => {
    const failed = await failureOf(() => client.chat.completions.create({ model: 'stranger', messages: [{ role: 'user', content: 'hi' }] }));
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError);
    expect((failed as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((failed as Error).message).toContain('could not get a Google access token: the token endpoint answered HTTP 400 (invalid_grant)');
    expect(mock.calls).toBe(0);
    // The mock refused the stranger's assertion, as it should: this test's one expected refusal.
    expect(mock.refusals).toEqual(['token: invalid_grant']);
    mock.reset();
  });

  it('providers vertex: a token endpoint that does not answer is the call\'s timeout (504), and no model call; the late token serves the next call', async () => {
    mock.holdTokenRequests(true);
    try {
      const failed = await failureOf(() => client.chat.completions.create({ model: 'slow-token', messages: [{ role: 'user', content: 'hi' }] }));
      expect(failed).toBeInstanceOf(OpenAI.APIError);
      expect((failed as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
      expect(mock.calls).toBe(0);
    } finally {
      mock.holdTokenRequests(false);
    }
    const tokenCalls = mock.tokenCalls;
    await client.chat.completions.create({ model: 'slow-token', messages: [{ role: 'user', content: 'again' }] });
    expect(mock.calls).toBe(1);
    // The token the held request brought back was cached: no second request for one.
    expect(mock.tokenCalls).toBe(tokenCalls);
  });

  it('providers vertex: the limiter settles the reservation to the tokens Vertex reported', async () => {
    mock.behave('gemini-2.5-pro', { reply: 'short' });
    const totals = await settledTokenTotals(redis, stack, () => client.chat.completions.create({ model: 'pro', max_tokens: 2000, messages: [{ role: 'user', content: 'Count to three' }] }));
    expect(mock.calls).toBe(1);
    expect(totals.length).toBeGreaterThan(0);
    for (const total of totals) expect(total).toBe(mock.billedTokens);
  });

  it('providers vertex: Claude\'s and the embeddings\' translated answers conform to OpenAI\'s OpenAPI spec, on the wire', async () => {
    const spec = loadConformance();
    const capture = capturingFetch();
    const checked = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, fetch: capture.fetch, maxRetries: 0 });
    const wire = async (index: number) => JSON.parse(await capture.responses[index]!.text) as unknown;
    await checked.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] });
    expect(spec.problems('CreateChatCompletionResponse', await wire(0))).toEqual([]);
    await checked.embeddings.create({ model: 'embed', input: ['one', 'two'], encoding_format: 'float' });
    expect(spec.problems('CreateEmbeddingResponse', await wire(1))).toEqual([]);
    expect(mock.calls).toBe(2);
  });
});
