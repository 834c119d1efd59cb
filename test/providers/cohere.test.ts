import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@switchyard/telemetry';
import { eventually, startCohereMock, startInProcessStack, type CohereMock, type InProcessStack } from '../harness/index.js';

/**
 * The official OpenAI SDK against `cohere` deployments through the whole
 * stack: chat completions and embeddings translated to Cohere's API v2 and
 * back, streams included, against a mock that refuses what Cohere refuses.
 */

const MASTER_KEY = 'sk-cohere-test-master';
const COHERE_KEY = 'co-test-secret-key-0123456789';

function configYaml(mockUrl: string): string {
  return `model_list:
  - model_name: command
    litellm_params:
      model: cohere/command-a-03-2025
      api_base: ${mockUrl}
      tpm: 1000000
  - model_name: limited
    litellm_params:
      model: cohere/command-r7b-12-2024
      api_base: ${mockUrl}
  # LiteLLM's other prefix, and its full-URL api_base: the same API.
  - model_name: command-backup
    litellm_params:
      model: cohere_chat/command-r-plus
      api_base: ${mockUrl}/v2/chat
  - model_name: embed
    litellm_params:
      model: cohere/embed-v4.0
      api_base: ${mockUrl}
      tpm: 1000000
router_settings:
  fallbacks: [{ "limited": ["command-backup"] }]
general_settings:
  master_key: ${MASTER_KEY}
`;
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

describe('providers cohere: the OpenAI SDK against a cohere deployment', () => {
  let mock: CohereMock;
  let stack: InProcessStack;
  let client: OpenAI;
  let redis: Redis;
  const logLines: string[] = [];
  const logs = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });

  beforeAll(async () => {
    mock = await startCohereMock({ apiKey: COHERE_KEY });
    // No api_key in the file: CO_API_KEY, the Cohere SDK's name that LiteLLM also reads.
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: configYaml(mock.url),
      env: { CO_API_KEY: COHERE_KEY },
      logger: createLogger({ service: 'test', level: 'debug', destination: logs }),
    });
    client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0 });
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
    redis?.disconnect();
    // Whatever was logged over the whole file (errors included), no form of the key.
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('').includes(COHERE_KEY)).toBe(false);
  });
  beforeEach(() => mock.reset());
  // Every request the gateway sent passed Cohere's checks.
  afterEach(() => expect(mock.refusals).toEqual([]));

  it('providers cohere: a plain chat is one v2/chat call with Cohere names, answered as chat.completion with its usage', async () => {
    mock.behave('command-a-03-2025', { reply: 'Hello from Command' });
    const completion = await client.chat.completions.create({
      model: 'command',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
      temperature: 0.3,
      top_p: 1,
      stop: ['END'],
      seed: 7,
      max_tokens: 50,
      user: 'user-1',
      response_format: { type: 'json_object' },
    });
    expect(completion).toMatchObject({ object: 'chat.completion', model: 'command-a-03-2025' });
    expect(completion.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Hello from Command' });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(mock.calls).toBe(1);
    const sent = mock.requests[0]!;
    expect(sent.path).toBe('/v2/chat');
    expect(sent.headers.authorization).toBe(`Bearer ${COHERE_KEY}`);
    expect(sent.body).toEqual({
      model: 'command-a-03-2025',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
      temperature: 0.3,
      p: 0.99,
      stop_sequences: ['END'],
      seed: 7,
      max_tokens: 50,
      response_format: { type: 'json_object' },
    });
    // usage.tokens (with Cohere's prompt template), not billed_units.
    expect(completion.usage!.total_tokens).toBe(mock.tokens);
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(40);
  });

  it('providers cohere: a tool-call stream assembles in the SDK, ends with one usage chunk, and is one call', async () => {
    mock.behave('command-a-03-2025', { toolCall: { name: 'weather', arguments: { city: 'Oslo', unit: 'C' } } });
    const stream = await client.chat.completions.create({
      model: 'command',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [{ type: 'function', function: { name: 'weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^weather_mock/), type: 'function', function: { name: 'weather' } });
    expect(JSON.parse(calls.map((call) => call.function?.arguments ?? '').join(''))).toEqual({ city: 'Oslo', unit: 'C' });
    const plan = chunks.map((chunk) => (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '').join('');
    expect(plan).toBe('I will call weather.');
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'tool_calls')).toBe(true);
    expect(chunks.filter((chunk) => chunk.usage != null)).toHaveLength(1);
    expect(chunks.at(-1)!.usage!.total_tokens).toBe(mock.tokens);
    expect(mock.requests[0]!.body).toMatchObject({ stream: true, tool_choice: 'REQUIRED', tools: [{ type: 'function', function: { name: 'weather', description: 'Weather now' } }] });
    expect(mock.calls).toBe(1);
  });

  it('providers cohere: a streamed answer without include_usage has no usage chunk, and the SDK helper assembles the text', async () => {
    mock.behave('command-a-03-2025', { reply: 'One two three four' });
    const runner = client.chat.completions.stream({ model: 'command', messages: [{ role: 'user', content: 'Count' }] });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe('One two three four');
    expect(final.usage ?? null).toBeNull();
    expect(mock.calls).toBe(1);
  });

  it('providers cohere: tool results, assistant tool calls and images are a conversation Cohere accepts', async () => {
    const completion = await client.chat.completions.create({
      model: 'command',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{"x":1}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
        { role: 'user', content: 'Thanks, and?' },
      ],
      tools: [{ type: 'function', function: { name: 'look', parameters: { type: 'object', properties: {} } } }],
      tool_choice: { type: 'function', function: { name: 'look' } },
    });
    expect(completion.choices[0]!.message.content).toBe('Mock Cohere answers: Thanks, and?');
    expect(mock.requests[0]!.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } }] },
      { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{"x":1}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
      { role: 'user', content: 'Thanks, and?' },
    ]);
    expect(mock.calls).toBe(1);
  });

  it('providers cohere: embeddings.create (base64 by the SDK default, and float) is one v2/embed call each, floats as Cohere sent them', async () => {
    const asFloats = await client.embeddings.create({ model: 'embed', input: ['alpha', 'beta'], encoding_format: 'float', dimensions: 4 });
    const byDefault = await client.embeddings.create({ model: 'embed', input: ['alpha', 'beta'], dimensions: 4 });
    expect(mock.calls).toBe(2);
    expect(mock.requests[0]!.body).toEqual({ model: 'embed-v4.0', texts: ['alpha', 'beta'], input_type: 'search_document', embedding_types: ['float'], output_dimension: 4 });
    expect(asFloats.data.map((item) => item.index)).toEqual([0, 1]);
    expect(asFloats.data[0]!.embedding).toHaveLength(4);
    // The SDK decoded OpenAI's base64 (float32 bytes) to the same vectors, to float32 precision.
    for (const [i, item] of byDefault.data.entries()) {
      const expected = asFloats.data[i]!.embedding;
      item.embedding.forEach((value, j) => expect(value).toBeCloseTo(expected[j]!, 6));
    }
    expect(asFloats.usage.prompt_tokens).toBe(mock.tokens / 2);
  });

  it('providers cohere: what Cohere cannot take is a 400 before any call (n, a token-array embed, completions)', async () => {
    const many = await failureOf(() => client.chat.completions.create({ model: 'command', n: 2, messages: [{ role: 'user', content: 'hi' }] }));
    expect([many.status, many.param]).toEqual([400, 'n']);
    const tokensIn = await failureOf(() => client.embeddings.create({ model: 'embed', input: [1, 2, 3] }));
    expect([tokensIn.status, tokensIn.param]).toEqual([400, 'input']);
    const legacy = await failureOf(() => client.completions.create({ model: 'command', prompt: 'hi' }));
    expect([legacy.status, legacy.code]).toEqual([400, 'unsupported_endpoint']);
    expect(mock.calls).toBe(0);
  });

  it("providers cohere: a 429 is retryable (the group's fallback answers); a Cohere 400 is not (one call, Cohere's message)", async () => {
    mock.behave('command-r7b-12-2024', { status: 429 });
    const rescued = await client.chat.completions.create({ model: 'limited', messages: [{ role: 'user', content: 'hi' }] });
    expect(rescued.model).toBe('command-r-plus');
    expect(mock.requests.map((r) => [r.path, r.body.model])).toEqual([
      ['/v2/chat', 'command-r7b-12-2024'],
      ['/v2/chat', 'command-r-plus'],
    ]);

    mock.reset();
    mock.behave('command-r7b-12-2024', { status: 400 });
    const refused = await failureOf(() => client.chat.completions.create({ model: 'limited', messages: [{ role: 'user', content: 'hi' }] }));
    expect(refused.status).toBe(400);
    expect(refused.message).toContain('mock refused with 400');
    expect(refused.headers?.get('x-should-retry')).toBe('false');
    expect(mock.calls).toBe(1);
  });

  it('providers cohere: a 500 is a 502 after one call; a rejected key is a 502 of our own; echoed credentials never reach the client', async () => {
    mock.behave('command-a-03-2025', { status: 500 });
    const failed = await failureOf(() => client.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'hi' }] }));
    expect([failed.status, failed.headers?.get('x-should-retry')]).toEqual([502, 'false']);

    mock.behave('command-a-03-2025', { status: 400, echoCredentials: true });
    const echoed = await failureOf(() => client.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'hi' }] }));
    expect(echoed.status).toBe(400);
    expect(echoed.message).toContain('[redacted]');
    expect(JSON.stringify(echoed.error)).not.toContain(COHERE_KEY);
    expect(mock.calls).toBe(2);
  });

  it('providers cohere: a stream cut mid-way, or ended by a generation error, is an error the SDK raises, never a clean end', async () => {
    for (const behaviour of [{ cutStream: true }, { streamError: true }]) {
      mock.reset();
      mock.behave('command-a-03-2025', { reply: 'Partial answer here', ...behaviour });
      let text = '';
      // Before the first chunk reached the client it is an HTTP error; after, the stream breaks.
      const error = await (async () => {
        try {
          const stream = await client.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'hi' }], stream: true });
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        } catch (err) {
          return err;
        }
        return null;
      })();
      expect(error, JSON.stringify(behaviour)).not.toBeNull();
      expect('Partial answer here'.startsWith(text)).toBe(true);
      expect(mock.calls).toBe(1);
    }
  });

  it('providers cohere: the limiter settles the reservation to the tokens Cohere reported', async () => {
    const keys = async () => redis.keys(`${stack.names.prefix}:rl:*`);
    const stale = await keys();
    if (stale.length > 0) await redis.del(...stale);
    mock.behave('command-a-03-2025', { reply: 'short', templateTokens: 300 });
    await client.chat.completions.create({ model: 'command', max_tokens: 2000, messages: [{ role: 'user', content: 'Count to three' }] });
    expect(mock.calls).toBe(1);
    // Reserved ~2000 + prompt; settled to usage.tokens.
    const totals = await eventually(async () => {
      const all = await keys();
      if (all.some((key) => key.includes(':rl:res:'))) return undefined;
      const tokenKeys = all.filter((key) => key.endsWith(':tok'));
      if (tokenKeys.length === 0) return undefined;
      const sums = await Promise.all(tokenKeys.map(async (key) => Object.values(await redis.hgetall(key)).reduce((sum, value) => sum + Number(value), 0)));
      return sums.every((sum) => sum === mock.tokens) ? sums : undefined;
    }, 15_000, 'the reservation settled to the reported tokens');
    expect(totals.length).toBeGreaterThan(0);
  });
});
