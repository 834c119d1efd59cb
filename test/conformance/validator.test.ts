import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '@switchyard/config';
import { createProviderClient, type ProviderResponse } from '@switchyard/providers';
import { findSpec, loadConformance } from './openapi.js';

/**
 * The validator itself: it accepts OpenAI's own examples of each shape and
 * catches one broken field in each, so a passing conformance test means
 * something. The built-in mock provider (the default config's) is held to the
 * same spec here, without a network.
 */

const chatCompletion = () => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});

const chunk = () => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, delta: { content: 'Hi' }, logprobs: null, finish_reason: null }],
});

describe('conformance: the validator', () => {
  const spec = loadConformance();

  it('conformance: accepts well-formed answers', () => {
    expect(spec.problems('CreateChatCompletionResponse', chatCompletion())).toEqual([]);
    expect(spec.problems('CreateChatCompletionStreamResponse', chunk())).toEqual([]);
    expect(spec.problems('ErrorResponse', { error: { message: 'm', type: 'invalid_request_error', param: null, code: null } })).toEqual([]);
    expect(spec.problems('Model', { id: 'm', object: 'model', created: 1, owned_by: 'me' })).toEqual([]);
  });

  it.each([
    ['a chat completion without its message role', 'CreateChatCompletionResponse', () => {
      const body = chatCompletion();
      delete (body.choices[0]!.message as Partial<typeof body.choices[0]['message']>).role;
      return body;
    }],
    ['a chat completion whose created is a string', 'CreateChatCompletionResponse', () => ({ ...chatCompletion(), created: '1700000000' })],
    ['a chat completion with an unknown finish_reason', 'CreateChatCompletionResponse', () => {
      const body = chatCompletion();
      body.choices[0]!.finish_reason = 'done';
      return body;
    }],
    ['a chunk of the wrong object type', 'CreateChatCompletionStreamResponse', () => ({ ...chunk(), object: 'chat.completion' })],
    ['a chunk without choices', 'CreateChatCompletionStreamResponse', () => ({ ...chunk(), choices: undefined })],
    ['an error body without param', 'ErrorResponse', () => ({ error: { message: 'm', type: 't', code: null } })],
    ['an error body whose code is a number', 'ErrorResponse', () => ({ error: { message: 'm', type: 't', param: null, code: 429 } })],
    ['a model without owned_by', 'Model', () => ({ id: 'm', object: 'model', created: 1 })],
    ['a model list that is not a list', 'ListModelsResponse', () => ({ object: 'models', data: [] })],
    ['an embedding that is a string', 'CreateEmbeddingResponse', () => ({
      object: 'list',
      model: 'e',
      data: [{ object: 'embedding', index: 0, embedding: 'AAAA' }],
      usage: { prompt_tokens: 1, total_tokens: 1 },
    })],
    ['a completion without text', 'CreateCompletionResponse', () => ({
      id: 'cmpl-1',
      object: 'text_completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, logprobs: null, finish_reason: 'stop' }],
    })],
  ] as const)('conformance: catches %s', (_what, schema, broken) => {
    expect(spec.problems(schema, broken())).not.toEqual([]);
  });

  it('conformance: names a missing spec and where it looked', () => {
    expect(() => findSpec({ OPENAI_OPENAPI_SPEC: '/nonexistent/openapi.yaml' })).toThrow(/does not exist/);
  });
});

describe('conformance: the built-in mock provider', () => {
  const spec = loadConformance();
  const config = parseGatewayConfig(
    `model_list:
  - model_name: chat
    litellm_params:
      model: mock/gpt-4o-mini
`,
    { source: '<test>', env: {} },
  );
  const deployment = config.deployments[0]!;
  const client = createProviderClient();

  function jsonOf(response: ProviderResponse): unknown {
    if (response.kind !== 'json') throw new Error(`expected a JSON response, got ${response.kind}`);
    return JSON.parse(response.body.toString('utf8')) as unknown;
  }

  async function chunksOf(response: ProviderResponse): Promise<unknown[]> {
    if (response.kind !== 'stream') throw new Error(`expected a stream, got ${response.kind}`);
    const out: unknown[] = [];
    for await (const event of response.events) if (event.data !== '[DONE]') out.push(JSON.parse(event.data));
    return out;
  }

  const send = (endpoint: 'chat.completions' | 'completions' | 'embeddings', body: Record<string, unknown>, stream = false) =>
    client.send({ deployment, endpoint, body, stream, wantUsage: true });

  it('conformance: its chat completions, plain and streamed', async () => {
    const messages = [{ role: 'user', content: 'hi' }];
    expect(spec.problems('CreateChatCompletionResponse', jsonOf(await send('chat.completions', { model: 'chat', messages })))).toEqual([]);
    const chunks = await chunksOf(await send('chat.completions', { model: 'chat', messages, stream: true }, true));
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(spec.problems('CreateChatCompletionStreamResponse', c)).toEqual([]);
  });

  it('conformance: its completions, plain and streamed, and its embeddings', async () => {
    expect(spec.problems('CreateCompletionResponse', jsonOf(await send('completions', { model: 'chat', prompt: 'hi' })))).toEqual([]);
    for (const c of await chunksOf(await send('completions', { model: 'chat', prompt: 'hi', stream: true }, true))) {
      expect(spec.problems('CreateCompletionStreamChunk', c)).toEqual([]);
    }
    expect(spec.problems('CreateEmbeddingResponse', jsonOf(await send('embeddings', { model: 'chat', input: ['a', 'b'] })))).toEqual([]);
  });
});
