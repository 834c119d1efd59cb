import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@switchyard/telemetry';
import { capturingFetch, sseData, type Captured } from '../conformance/capture.js';
import { loadConformance, type SchemaName } from '../conformance/openapi.js';
import { startBedrockMock, startInProcessStack, type BedrockMock, type InProcessStack } from '../harness/index.js';
import { BEDROCK_ENV, bedrockConfig, CLAUDE, LONG_TERM, MASTER_KEY, REGION, TEMPORARY } from './fixtures.js';

/**
 * The official OpenAI SDK against `bedrock` deployments through the whole
 * stack: chat through Converse and ConverseStream, embeddings through
 * InvokeModel, every call SigV4-signed and verified by the mock with the
 * test's secret. The mock refuses anything Bedrock would refuse.
 */

async function failureOf(call: () => Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call();
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}

const WEATHER_TOOL: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

describe('providers bedrock: the OpenAI SDK against a bedrock deployment', () => {
  let mock: BedrockMock;
  let stack: InProcessStack;
  let client: OpenAI;
  let redis: Redis;
  const logLines: string[] = [];
  /** The signature of every request the mock saw, and every response the client got, for the leak check at the end. */
  const signatures: string[] = [];
  const responseTexts: string[] = [];
  const capture = capturingFetch();
  const conformance = loadConformance();

  /**
   * The spec types an embedding as numbers only; OpenAI (and the SDK, by
   * default) also uses `encoding_format: base64`, so those are decoded first.
   */
  function asFloats(payload: unknown): unknown {
    const data = (payload as { data?: Array<{ embedding: unknown }> }).data;
    if (!Array.isArray(data)) return payload;
    const decoded = data.map((item) => {
      if (typeof item.embedding !== 'string') return item;
      const bytes = Buffer.from(item.embedding, 'base64');
      return { ...item, embedding: [...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)] };
    });
    return { ...(payload as object), data: decoded };
  }

  /** Every response the SDK received conforms to OpenAI's spec: bodies, stream chunks and errors. */
  async function checkConformance(responses: Captured[]): Promise<void> {
    for (const response of responses.splice(0)) {
      const text = await response.text;
      responseTexts.push(`${response.status}\n${[...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n')}\n\n${text}`);
      const stream = response.headers.get('content-type')?.startsWith('text/event-stream') === true;
      const schema: SchemaName = response.status >= 400 ? 'ErrorResponse' : response.url.endsWith('/embeddings') ? 'CreateEmbeddingResponse' : 'CreateChatCompletionResponse';
      const payloads = stream ? sseData(text) : [asFloats(JSON.parse(text) as unknown)];
      for (const payload of payloads) {
        const isError = typeof payload === 'object' && payload !== null && 'error' in payload;
        const which: SchemaName = stream ? (isError ? 'ErrorResponse' : 'CreateChatCompletionStreamResponse') : schema;
        expect(conformance.problems(which, payload), `${response.url} ${which}`).toEqual([]);
      }
    }
  }

  beforeAll(async () => {
    mock = await startBedrockMock({ region: REGION, credentials: [TEMPORARY, LONG_TERM], bearerToken: BEDROCK_ENV.BEDROCK_API_KEY });
    const logger = createLogger({
      service: 'test',
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(chunk.toString());
          done();
        },
      }),
    });
    stack = await startInProcessStack({ servers: inject('servers'), config: bedrockConfig(mock.url), env: BEDROCK_ENV, logger });
    client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0, fetch: capture.fetch });
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
    redis?.disconnect();
  });
  beforeEach(() => mock.reset());
  afterEach(async () => {
    await checkConformance(capture.responses);
    for (const request of mock.requests) {
      const signature = /Signature=([0-9a-f]{64})/.exec(String(request.headers.authorization))?.[1];
      if (signature !== undefined) signatures.push(signature);
    }
  });

  it('providers bedrock: a chat is one signed Converse call, the model id encoded in the path, with the usage Bedrock reported', async () => {
    mock.behave(CLAUDE, { reply: 'Hello from Bedrock', cacheReadTokens: 30, cacheWriteTokens: 2 });
    const completion = await client.chat.completions.create({
      model: 'claude-bedrock',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
      max_tokens: 200,
      temperature: 1.5,
      stop: 'END',
      seed: 7,
    });
    expect(mock.refusals).toEqual([]);
    expect(mock.calls).toBe(1);
    expect(completion).toMatchObject({ object: 'chat.completion', model: CLAUDE, choices: [{ message: { role: 'assistant', content: 'Hello from Bedrock' }, finish_reason: 'stop' }] });
    const sent = mock.requests[0]!;
    expect(sent.path).toBe(`/model/${CLAUDE.replace(':', '%3A')}/converse`);
    expect(sent.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${TEMPORARY.accessKeyId}/\\d{8}/${REGION}/bedrock/aws4_request, `));
    expect(sent.headers['x-amz-security-token']).toBe(TEMPORARY.sessionToken);
    expect(sent.body).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Say hello' }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 200, temperature: 1, stopSequences: ['END'] },
    });
    expect(completion.usage).toMatchObject({ prompt_tokens_details: { cached_tokens: 30 } });
    expect(completion.usage!.total_tokens).toBe(mock.billedTokens);
  });

  it('providers bedrock: a streamed tool call assembles in the SDK from the event stream, ends with one usage chunk, and is one call', async () => {
    mock.behave(CLAUDE, { reply: 'Let me check.', toolCall: { name: 'weather', input: { city: 'Oslo', unit: 'C' } } });
    const stream = await client.chat.completions.create({
      model: 'claude-bedrock',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [WEATHER_TOOL],
      tool_choice: 'required',
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(mock.refusals).toEqual([]);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Let me check.');
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^tooluse_/), function: { name: 'weather' } });
    expect(JSON.parse(calls.map((call) => call.function?.arguments ?? '').join(''))).toEqual({ city: 'Oslo', unit: 'C' });
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'tool_calls')).toBe(true);
    expect(chunks.filter((chunk) => chunk.usage != null)).toHaveLength(1);
    expect(chunks.at(-1)!.usage!.total_tokens).toBe(mock.billedTokens);
    expect(mock.requests[0]).toMatchObject({ action: 'converse-stream', body: { toolConfig: { toolChoice: { any: {} } } } });
    expect(mock.calls).toBe(1);
  });

  it('providers bedrock: tool results, assistant tool calls and a base64 image are a conversation Bedrock accepts; an http image is a 400 before any call', async () => {
    const completion = await client.chat.completions.create({
      model: 'claude-bedrock',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'user', content: 'Thanks, and?' },
      ],
      tools: [WEATHER_TOOL],
    });
    expect(mock.refusals).toEqual([]);
    expect(completion.choices[0]!.message.content).toBe('Mock Bedrock answers: Thanks, and?');
    expect(mock.requests[0]!.body.messages).toEqual([
      { role: 'user', content: [{ text: 'What is this?' }, { image: { format: 'png', source: { bytes: 'iVBORw0KGgo=' } } }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: 'call_1', name: 'weather', input: { city: 'Oslo' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'call_1', content: [{ text: 'sunny' }] } }, { text: 'Thanks, and?' }] },
    ]);

    const refused = await failureOf(() =>
      client.chat.completions.create({
        model: 'claude-bedrock',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
      }),
    );
    expect(refused.status).toBe(400);
    expect(refused.message).toContain('base64 data URLs');
    expect(mock.calls).toBe(1);
  });

  it('providers bedrock: a conversation Bedrock refuses is its ValidationException, relayed as a 400 and not retryable', async () => {
    const refused = await failureOf(() =>
      client.chat.completions.create({ model: 'claude-bedrock', messages: [{ role: 'assistant', content: 'I start.' }] }),
    );
    expect(refused.status).toBe(400);
    expect(refused.code).toBe('ValidationException');
    expect(refused.message).toContain('must start with a user message');
    expect(refused.headers?.get('x-should-retry')).toBe('false');
  });

  it('providers bedrock: Titan embeddings are one InvokeModel call, base64 as the SDK asks by default; several inputs are a 400 before any call', async () => {
    const result = await client.embeddings.create({ model: 'titan-embed', input: 'hello world', dimensions: 256 });
    expect(mock.refusals).toEqual([]);
    expect(mock.requests[0]).toMatchObject({ action: 'invoke', modelId: 'amazon.titan-embed-text-v2:0', body: { inputText: 'hello world', dimensions: 256 } });
    expect(result.data).toHaveLength(1);
    expect(result.data[0]!.embedding).toHaveLength(8);
    expect(result.data[0]!.embedding[0]).toBeCloseTo(0.1);
    expect(result.usage).toEqual({ prompt_tokens: mock.billedTokens, total_tokens: mock.billedTokens });

    const several = await failureOf(() => client.embeddings.create({ model: 'titan-embed', input: ['a', 'b'] }));
    expect(several.status).toBe(400);
    expect(several.param).toBe('input');
    expect(mock.calls).toBe(1);
  });

  it('providers bedrock: Cohere embeddings take every input in one call, with input_type, and the token count from the header', async () => {
    const result = await client.embeddings.create({ model: 'cohere-embed', input: ['first text', 'second'], encoding_format: 'float' });
    expect(mock.refusals).toEqual([]);
    expect(mock.calls).toBe(1);
    expect(mock.requests[0]!.body).toEqual({ texts: ['first text', 'second'], input_type: 'search_document' });
    expect(result.data.map((item) => item.index)).toEqual([0, 1]);
    expect(result.data[1]!.embedding).toHaveLength(4);
    expect(result.usage.prompt_tokens).toBe(mock.billedTokens);
  });

  /** The limiter's token totals once no reservation is pending (the call-completed event settled it). */
  async function settledTokenTotals(): Promise<number[]> {
    const keys = async () => redis.keys(`${stack.names.prefix}:rl:*`);
    let tokenTotals: number[] = [];
    for (let attempt = 0; attempt < 3000; attempt++) {
      const pending = (await keys()).filter((key) => key.includes(':rl:res:'));
      const tokenKeys = (await keys()).filter((key) => key.endsWith(':tok'));
      tokenTotals = await Promise.all(tokenKeys.map(async (key) => Object.values(await redis.hgetall(key)).reduce((sum, value) => sum + Number(value), 0)));
      if (pending.length === 0 && tokenTotals.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return tokenTotals;
  }

  async function clearLimiter(): Promise<void> {
    const stale = await redis.keys(`${stack.names.prefix}:rl:*`);
    if (stale.length > 0) await redis.del(...stale);
  }

  it('providers bedrock: the limiter settles the reservation to the tokens Bedrock reported, for chat and for embeddings', async () => {
    await clearLimiter();
    mock.behave(CLAUDE, { reply: 'short' });
    await client.chat.completions.create({ model: 'claude-bedrock', max_tokens: 2000, messages: [{ role: 'user', content: 'Count to three' }] });
    expect(mock.calls).toBe(1);
    const chat = await settledTokenTotals();
    expect(chat.length).toBeGreaterThan(0);
    for (const total of chat) expect(total).toBe(mock.billedTokens);

    await clearLimiter();
    const billedBefore = mock.billedTokens;
    // About 100 tokens by the gateway's estimate, 50 by the mock's count: the settlement is visible.
    const embedded = await client.embeddings.create({ model: 'titan-embed', input: 'a '.repeat(100) });
    expect(embedded.usage.prompt_tokens).toBe(50);
    expect(embedded.usage.prompt_tokens).toBe(mock.billedTokens - billedBefore);
    const embeddings = await settledTokenTotals();
    expect(embeddings.length).toBeGreaterThan(0);
    for (const total of embeddings) expect(total).toBe(embedded.usage.prompt_tokens);
  });

  it('providers bedrock: a Bedrock throttle is an OpenAI-shaped 429 the SDK may retry, after one call', async () => {
    mock.behave(CLAUDE, { status: 429 });
    const throttled = await failureOf(() => client.chat.completions.create({ model: 'claude-bedrock', messages: [{ role: 'user', content: 'hi' }] }));
    expect(throttled).toBeInstanceOf(OpenAI.RateLimitError);
    expect(throttled.code).toBe('ThrottlingException');
    expect(throttled.message).toContain('Too many requests');
    expect(throttled.error).toMatchObject({ type: 'rate_limit_error', param: null });
    expect(mock.calls).toBe(1);
  });

  it('providers bedrock: an exception event mid-stream breaks the stream for the client', async () => {
    mock.behave(CLAUDE, { reply: 'one two three', streamException: 'throttlingException' });
    const stream = await client.chat.completions.create({ model: 'claude-bedrock', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const seen: string[] = [];
    const broken = await failureOf(async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    });
    expect(seen.join('')).toBe('one ');
    expect(broken.message).toContain('broke off');
    expect(mock.calls).toBe(1);
  });

  it('providers bedrock: the bedrock/* route serves an inference profile with the standard AWS variables', async () => {
    const profile = 'us.anthropic.claude-3-5-haiku-20241022-v1:0';
    const completion = await client.chat.completions.create({ model: `bedrock/${profile}`, messages: [{ role: 'user', content: 'hi there' }] });
    expect(mock.refusals).toEqual([]);
    expect(completion.choices[0]!.message.content).toBe('Mock Bedrock answers: hi there');
    expect(mock.requests[0]!.modelId).toBe(profile);
    expect(mock.requests[0]!.headers.authorization).toContain(`Credential=${LONG_TERM.accessKeyId}/`);
    expect(mock.requests[0]!.headers['x-amz-security-token']).toBeUndefined();
  });

  it('providers bedrock: a deployment with a Bedrock API key sends it as a bearer token and signs nothing', async () => {
    const completion = await client.chat.completions.create({ model: 'api-key', messages: [{ role: 'user', content: 'hello nova' }] });
    expect(mock.refusals).toEqual([]);
    expect(completion.choices[0]!.message.content).toBe('Mock Bedrock answers: hello nova');
    expect(mock.requests[0]!.headers.authorization).toBe(`Bearer ${BEDROCK_ENV.BEDROCK_API_KEY}`);
    expect(mock.requests[0]!.headers['x-amz-date']).toBeUndefined();
  });

  it('providers bedrock: a Bedrock error that echoes the session token reaches the client with it redacted', async () => {
    mock.behave(CLAUDE, { status: 400, errorMessage: `The security token ${TEMPORARY.sessionToken} is not valid for ${encodeURIComponent(TEMPORARY.secretAccessKey)}` });
    const refused = await failureOf(() => client.chat.completions.create({ model: 'claude-bedrock', messages: [{ role: 'user', content: 'hi' }] }));
    expect(refused.status).toBe(400);
    expect(refused.message).toBe('400 The security token [redacted] is not valid for [redacted]');
  });

  it('providers bedrock: a proxy that echoes the request\'s signature, in an error or a header, has it redacted: a signature is this call\'s secret', async () => {
    mock.behave(CLAUDE, { status: 400, echoAuthorization: true, errorMessage: 'Bad request' });
    const refused = await failureOf(() => client.chat.completions.create({ model: 'claude-bedrock', messages: [{ role: 'user', content: 'hi' }] }));
    expect(refused.status).toBe(400);
    expect(refused.message).toBe('400 Bad request (signature [redacted], header [redacted])');

    // A 2xx with the signature in a response header: the leak check at the end reads every response and log line.
    mock.behave(CLAUDE, { status: 200 });
    await client.chat.completions.create({ model: 'claude-bedrock', messages: [{ role: 'user', content: 'hi' }] });
    expect(mock.calls).toBe(2);
  });

  it('providers bedrock: a wrong secret fails the signature: a 502 naming the gateway\'s credentials, and nothing secret anywhere', async () => {
    const failed = await failureOf(() => client.chat.completions.create({ model: 'wrong-secret', messages: [{ role: 'user', content: 'hi' }] }));
    expect(mock.refusals).toEqual([expect.stringMatching(/^InvalidSignatureException: The request signature we calculated does not match/)]);
    expect(failed.status).toBe(502);
    expect(failed.code).toBe('upstream_auth_failed');

    // Everything this suite's requests sent: no secret key, session token or signature reached a client or a log line.
    expect(signatures.length).toBeGreaterThan(5);
    const leaks = [TEMPORARY.secretAccessKey, TEMPORARY.sessionToken, LONG_TERM.secretAccessKey, BEDROCK_ENV.WRONG_SECRET, BEDROCK_ENV.BEDROCK_API_KEY, ...signatures];
    await checkConformance(capture.responses);
    expect(responseTexts.length).toBeGreaterThan(10);
    const seen = `${responseTexts.join('\n')} ${logLines.join('')}`;
    expect(logLines.length).toBeGreaterThan(0);
    for (const leak of leaks) expect(seen.includes(leak), `leaked ${leak}`).toBe(false);
  });
});
