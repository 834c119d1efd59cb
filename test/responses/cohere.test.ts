import Anthropic from '@anthropic-ai/sdk';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startCohereMock, startInProcessStack, type CohereMock, type InProcessStack } from '../harness/index.js';
import { loadConformance } from '../conformance/openapi.js';
import { clearCounters, settledTokens } from './fixtures.js';

/**
 * A provider whose module lists only chat and embeddings (Cohere, with its
 * own chat transform) answers /v1/responses and /v1/messages all the same:
 * the via-chat composition sends them through its chat, without the
 * provider naming them. One Cohere call each, usage settled.
 */

const MASTER_KEY = 'sk-responses-cohere-master';
const COHERE_KEY = 'co-test-secret-key-responses';

describe('responses: a provider with its own chat transform (cohere) gets responses and messages for free', () => {
  let mock: CohereMock;
  let stack: InProcessStack;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let redis: Redis;
  const spec = loadConformance();

  beforeAll(async () => {
    mock = await startCohereMock({ apiKey: COHERE_KEY });
    const config = `model_list:
  - model_name: command
    litellm_params:
      model: cohere/command-a-03-2025
      api_base: ${mock.url}
      tpm: 1000000
    model_info: { id: command-cohere }
general_settings:
  master_key: ${MASTER_KEY}
`;
    stack = await startInProcessStack({ servers: inject('servers'), config, env: { CO_API_KEY: COHERE_KEY } });
    openai = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1` });
    anthropic = new Anthropic({ apiKey: MASTER_KEY, baseURL: stack.ingressUrls[0] });
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
    redis?.disconnect();
  });
  beforeEach(async () => {
    mock.reset();
    await clearCounters(redis, stack.names.prefix);
  });
  afterEach(() => expect(mock.refusals).toEqual([]));

  it('responses: a Responses create is one Cohere v2/chat call, a valid Response, its usage settled', async () => {
    mock.behave('command-a-03-2025', { reply: 'Hello from Cohere' });
    const response = await openai.responses.create({ model: 'command', instructions: 'Be brief.', input: 'Say hello' });
    expect(spec.problems('Response', response)).toEqual([]);
    expect(response.output_text).toBe('Hello from Cohere');
    expect(mock.calls).toBe(1);
    expect(mock.requests[0]!.path).toBe('/v2/chat');
    expect(await settledTokens(redis, stack.names.prefix, 'command-cohere')).toBe(mock.tokens);
  });

  it('responses: a streamed Responses tool call is Cohere\'s tool-call stream, assembled by the SDK', async () => {
    mock.behave('command-a-03-2025', { toolCall: { name: 'weather', arguments: { city: 'Lima' } } });
    const final = await openai.responses
      .stream({ model: 'command', input: 'Weather in Lima?', tools: [{ type: 'function', name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }] })
      .finalResponse();
    const call = final.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ name: 'weather', arguments: '{"city":"Lima"}' });
    expect(mock.calls).toBe(1);
  });

  it('responses: an Anthropic Messages request is one Cohere call, answered as an Anthropic message', async () => {
    mock.behave('command-a-03-2025', { reply: 'Hi, Claude client' });
    const message = await anthropic.messages.create({ model: 'command', max_tokens: 50, messages: [{ role: 'user', content: 'Hello' }] });
    expect(message).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hi, Claude client' }] });
    expect(mock.calls).toBe(1);
    expect(await settledTokens(redis, stack.names.prefix, 'command-cohere')).toBe(mock.tokens);
  });
});
