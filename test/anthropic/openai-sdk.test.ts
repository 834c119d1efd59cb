import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startAnthropicMock, startInProcessStack, type AnthropicMock, type InProcessStack } from '../harness/index.js';
import { ANTHROPIC_ENV, anthropicConfig, MASTER_KEY } from './fixtures.js';

/**
 * The official OpenAI SDK against `anthropic` deployments through the whole
 * stack: the gateway translates chat completions to Anthropic's Messages API
 * and back, and the mock refuses anything Anthropic would refuse.
 */

async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}

describe('anthropic: the OpenAI SDK against an anthropic deployment', () => {
  let mock: AnthropicMock;
  let stack: InProcessStack;
  let client: OpenAI;
  let redis: Redis;

  beforeAll(async () => {
    mock = await startAnthropicMock({ apiKey: ANTHROPIC_ENV.ANTHROPIC_API_KEY });
    stack = await startInProcessStack({ servers: inject('servers'), config: anthropicConfig(mock.url), env: ANTHROPIC_ENV });
    client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0 });
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
    redis?.disconnect();
  });
  beforeEach(() => mock.reset());
  // Every request the gateway sent passed Anthropic's checks.
  afterEach(() => expect(mock.refusals).toEqual([]));

  it('anthropic: a chat with a system prompt is one Messages call, with the usage Anthropic reported', async () => {
    mock.behave('claude-sonnet-4-5', { reply: 'Hello from Claude', cacheReadTokens: 40, cacheCreationTokens: 2 });
    const completion = await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
      user: 'user-1',
      stop: ['END'],
      temperature: 1.5,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Hello from Claude' });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(mock.calls).toBe(1);
    const sent = mock.requests[0]!;
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toMatchObject({
      model: 'claude-sonnet-4-5',
      system: [{ type: 'text', text: 'Be brief.' }],
      max_tokens: 4096,
      metadata: { user_id: 'user-1' },
      stop_sequences: ['END'],
      temperature: 1,
    });
    expect(completion.usage).toMatchObject({ completion_tokens: 5, prompt_tokens_details: { cached_tokens: 40 } });
    expect(completion.usage!.total_tokens).toBe(mock.billedTokens);
  });

  it('anthropic: a tool-call stream assembles in the SDK, ends with one usage chunk, and is one call', async () => {
    mock.behave('claude-sonnet-4-5', { reply: 'Let me check.', toolCall: { name: 'weather', input: { city: 'Oslo', unit: 'C' } } });
    const stream = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Let me check.');
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^toolu_/), function: { name: 'weather' } });
    expect(JSON.parse(calls.map((call) => call.function?.arguments ?? '').join(''))).toEqual({ city: 'Oslo', unit: 'C' });
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'tool_calls')).toBe(true);
    expect(chunks.filter((chunk) => chunk.usage != null)).toHaveLength(1);
    expect(chunks.at(-1)!.usage!.total_tokens).toBe(mock.billedTokens);
    expect(mock.requests[0]!.body).toMatchObject({ stream: true, tool_choice: { type: 'auto', disable_parallel_tool_use: true } });
    expect(mock.calls).toBe(1);
  });

  it('anthropic: tool results, assistant tool calls and images are a conversation Anthropic accepts', async () => {
    const completion = await client.chat.completions.create({
      model: 'anthropic/claude-haiku-4-5',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{"x":1}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
        { role: 'user', content: 'Thanks, and?' },
      ],
      tools: [{ type: 'function', function: { name: 'look', parameters: { type: 'object', properties: {} } } }],
    });
    expect(completion.choices[0]!.message.content).toBe('Mock Claude answers: Thanks, and?');
    // The wildcard route: the client's model, the key from ANTHROPIC_API_KEY.
    expect(mock.requests[0]!.body.model).toBe('claude-haiku-4-5');
    expect(mock.calls).toBe(1);
  });

  it('anthropic: a request Anthropic cannot serve is a 400 before any call; a 529 overloaded is a 502 after one', async () => {
    const refused = await failureOf(() => client.chat.completions.create({ model: 'claude', n: 2, messages: [{ role: 'user', content: 'hi' }] }));
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).param).toBe('n');
    expect(mock.calls).toBe(0);

    mock.behave('claude-sonnet-4-5', { status: 529 });
    const overloaded = await failureOf(() => client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }));
    expect(overloaded).toBeInstanceOf(OpenAI.InternalServerError);
    expect((overloaded as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((overloaded as InstanceType<typeof OpenAI.APIError>).message).toContain('Overloaded');
    expect(mock.calls).toBe(1);
  });

  it('anthropic: the limiter settles the reservation to the tokens Anthropic reported', async () => {
    const keys = async () => redis.keys(`${stack.names.prefix}:rl:*`);
    const stale = await keys();
    if (stale.length > 0) await redis.del(...stale);
    mock.behave('claude-sonnet-4-5', { reply: 'short', outputTokens: 3, cacheReadTokens: 500 });
    await client.chat.completions.create({ model: 'claude', max_tokens: 2000, messages: [{ role: 'user', content: 'Count to three' }] });
    expect(mock.calls).toBe(1);
    // Reserved ~2000 + prompt; settled to what the mock billed.
    let tokenTotals: number[] = [];
    for (let attempt = 0; attempt < 3000; attempt++) {
      const pending = (await keys()).filter((key) => key.includes(':rl:res:'));
      const tokenKeys = (await keys()).filter((key) => key.endsWith(':tok'));
      tokenTotals = await Promise.all(
        tokenKeys.map(async (key) => Object.values(await redis.hgetall(key)).reduce((sum, value) => sum + Number(value), 0)),
      );
      if (pending.length === 0 && tokenTotals.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(tokenTotals.length).toBeGreaterThan(0);
    for (const total of tokenTotals) expect(total).toBe(mock.billedTokens);
  });
});
