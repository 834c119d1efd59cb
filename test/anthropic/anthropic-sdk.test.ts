import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startAnthropicMock, startInProcessStack, startMockProvider, type AnthropicMock, type InProcessStack, type MockProvider } from '../harness/index.js';
import { ANTHROPIC_ENV, anthropicConfig, MASTER_KEY } from './fixtures.js';

/**
 * The official Anthropic SDK (what Claude Code is built on) as the client of
 * the gateway's /v1/messages: passed through to an Anthropic deployment,
 * translated to chat completions for an OpenAI-compatible one. One provider
 * call per request, errors in Anthropic's shape so the SDK's typed errors fire.
 */

async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}

const WEATHER_TOOL = { name: 'weather', description: 'Weather of a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } };

describe('anthropic: the Anthropic SDK against /v1/messages', () => {
  let claude: AnthropicMock;
  let openai: MockProvider;
  let stack: InProcessStack;
  let client: Anthropic;

  beforeAll(async () => {
    claude = await startAnthropicMock({ apiKey: ANTHROPIC_ENV.ANTHROPIC_API_KEY });
    openai = await startMockProvider();
    const gpt = `  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${openai.url}
      api_key: os.environ/MOCK_PROVIDER_KEY
`;
    stack = await startInProcessStack({ servers: inject('servers'), config: anthropicConfig(claude.url, gpt), env: { ...ANTHROPIC_ENV, MOCK_PROVIDER_KEY: 'sk-provider-secret-123' } });
    client = new Anthropic({ apiKey: MASTER_KEY, baseURL: stack.ingressUrls[0], maxRetries: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    await claude?.close();
    await openai?.close();
  });
  beforeEach(() => {
    claude.reset();
    openai.reset();
  });
  afterEach(() => expect(claude.refusals).toEqual([]));

  it('anthropic: a message to an Anthropic deployment passes through, as sent, in one call', async () => {
    claude.behave('claude-sonnet-4-5', { reply: 'Bonjour', cacheReadTokens: 7 });
    const message = await client.messages.create({
      model: 'claude',
      max_tokens: 64,
      system: [{ type: 'text', text: 'Answer in French.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'Hello' }],
      stop_sequences: ['FIN'],
    }, { headers: { 'anthropic-beta': 'context-management-2025-06-27, claude-code-20250219' } });
    expect(message).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Bonjour' }], stop_reason: 'end_turn' });
    expect(message.usage).toMatchObject({ cache_read_input_tokens: 7 });
    expect(claude.calls).toBe(1);
    // Only the model changed: cache_control reaches Anthropic as the client wrote them.
    expect(claude.requests[0]!.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      system: [{ type: 'text', text: 'Answer in French.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'Hello' }],
      stop_sequences: ['FIN'],
    });
    expect(claude.requests[0]!.headers['x-api-key']).toBe(ANTHROPIC_ENV.ANTHROPIC_API_KEY);
    // Claude Code's beta flags reach Anthropic.
    expect(claude.requests[0]!.headers['anthropic-beta']).toBe('context-management-2025-06-27, claude-code-20250219');
  });

  it('anthropic: a tool-use stream from an Anthropic deployment arrives event by event, with its names', async () => {
    claude.behave('claude-sonnet-4-5', { reply: 'Checking.', toolCall: { name: 'weather', input: { city: 'Oslo' } } });
    const stream = client.messages.stream({ model: 'claude', max_tokens: 64, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Weather in Oslo?' }] });
    const names: string[] = [];
    stream.on('streamEvent', (event) => names.push(event.type));
    const message = await stream.finalMessage();
    expect(message.content).toEqual([
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: expect.stringMatching(/^toolu_/), name: 'weather', input: { city: 'Oslo' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(names[0]).toBe('message_start');
    expect(names.at(-1)).toBe('message_stop');
    expect(names).toContain('content_block_delta');
    expect(claude.calls).toBe(1);
  });

  it('anthropic: a message to an OpenAI-compatible deployment is translated to chat and back, in one call', async () => {
    const message = await client.messages.create({
      model: 'gpt',
      max_tokens: 50,
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '12C' }, { type: 'text', text: 'Summarise' }] },
      ],
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'auto' },
      stop_sequences: ['END'],
      metadata: { user_id: 'user-9' },
    }, { headers: { 'anthropic-beta': 'some-beta-2025' } });
    expect(message).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'end_turn', content: [{ type: 'text', text: 'This is a mock response to: Summarise' }] });
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(openai.calls).toBe(1);
    expect(openai.requests[0]!.path).toBe('/v1/chat/completions');
    expect(openai.requests[0]!.headers['anthropic-beta']).toBeUndefined();
    expect(openai.requests[0]!.body).toMatchObject({
      model: 'gpt-4o-mini',
      max_tokens: 50,
      stop: ['END'],
      user: 'user-9',
      tool_choice: 'auto',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: '12C' },
        { role: 'user', content: 'Summarise' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', parameters: WEATHER_TOOL.input_schema } }],
    });
  });

  it('anthropic: a stream from an OpenAI-compatible deployment becomes Anthropic events the SDK assembles', async () => {
    openai.behave('gpt-4o-mini', { reply: 'one two three four', streamChunks: 3 });
    const stream = client.messages.stream({ model: 'gpt', max_tokens: 50, messages: [{ role: 'user', content: 'Count' }] });
    const message = await stream.finalMessage();
    expect(message.content).toEqual([{ type: 'text', text: 'one two three four' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(openai.calls).toBe(1);
    // The gateway asked the OpenAI server for its usage.
    expect(openai.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('anthropic: count_tokens counts locally, calling no provider', async () => {
    const counted = await client.messages.countTokens({ model: 'claude', system: 'Be brief.', messages: [{ role: 'user', content: 'Hello there, how are you today?' }] });
    expect(counted.input_tokens).toBeGreaterThan(5);
    expect(claude.calls + claude.countTokensCalls + openai.calls).toBe(0);
  });

  it('anthropic: errors have Anthropic shape and map to the SDK typed errors', async () => {
    const missing = await failureOf(() => client.messages.create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }));
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect((missing as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });

    const invalid = await failureOf(() => client.messages.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] } as never));
    expect(invalid).toBeInstanceOf(Anthropic.BadRequestError);
    expect((invalid as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') } });

    const wrongKey = new Anthropic({ apiKey: 'sk-wrong', baseURL: stack.ingressUrls[0], maxRetries: 0 });
    expect(await failureOf(() => wrongKey.messages.create({ model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }))).toBeInstanceOf(Anthropic.AuthenticationError);

    claude.behave('claude-sonnet-4-5', { status: 529 });
    const overloaded = await failureOf(() => client.messages.create({ model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }));
    expect(overloaded).toBeInstanceOf(Anthropic.InternalServerError);
    expect((overloaded as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'api_error', message: 'Overloaded' } });
    expect(claude.calls).toBe(1);
  });
});
