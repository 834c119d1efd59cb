import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { capturingFetch, sseData, type Captured } from '../conformance/capture.js';
import { loadConformance, type Conformance, type SchemaName } from '../conformance/openapi.js';
import { startCohereMock, startInProcessStack, startMockProvider, type CohereMock, type InProcessStack, type MockProvider } from '../harness/index.js';

/**
 * What the gateway builds itself from another API's answer, checked against
 * OpenAI's OpenAPI spec on the wire: Cohere's chat (plain, streamed, with
 * tool calls) and embed, and a completions-only model's answers to chat.
 */

const MASTER_KEY = 'sk-providers-conformance-master';
const COHERE_KEY = 'co-conformance-key-0123456789';
const OPENAI_KEY = 'sk-conformance-openai-0123456789';

describe("providers conformance: translated answers against OpenAI's OpenAPI spec", () => {
  let spec: Conformance;
  let cohere: CohereMock;
  let openai: MockProvider;
  let stack: InProcessStack;
  let captured: Captured[];
  let client: OpenAI;

  beforeAll(async () => {
    spec = loadConformance();
    cohere = await startCohereMock({ apiKey: COHERE_KEY });
    openai = await startMockProvider();
    const config = `model_list:
  - model_name: command
    litellm_params: { model: cohere/command-a-03-2025, api_base: "${cohere.url}", api_key: os.environ/COHERE_API_KEY }
  - model_name: embed
    litellm_params: { model: cohere/embed-v4.0, api_base: "${cohere.url}", api_key: os.environ/COHERE_API_KEY }
  - model_name: instruct
    litellm_params: { model: gpt-3.5-turbo-instruct, api_base: "${openai.url}", api_key: os.environ/OPENAI_API_KEY }
general_settings:
  master_key: ${MASTER_KEY}
`;
    stack = await startInProcessStack({ servers: inject('servers'), config, env: { COHERE_API_KEY: COHERE_KEY, OPENAI_API_KEY: OPENAI_KEY } });
  });
  afterAll(async () => {
    await stack?.stop();
    await cohere?.close();
    await openai?.close();
  });
  beforeEach(() => {
    cohere.reset();
    openai.reset();
    const capture = capturingFetch();
    captured = capture.responses;
    client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, fetch: capture.fetch, maxRetries: 0 });
  });

  function expectConforms(schema: SchemaName, value: unknown): void {
    expect(spec.problems(schema, value), `${schema}: ${JSON.stringify(value).slice(0, 300)}`).toEqual([]);
  }

  async function wire(): Promise<string> {
    expect(captured).toHaveLength(1);
    return captured[0]!.text;
  }

  const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

  it('providers conformance: cohere chat, plain and with a tool call', async () => {
    await client.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'hi' }] });
    expectConforms('CreateChatCompletionResponse', JSON.parse(await wire()));
    captured.length = 0;
    cohere.behave('command-a-03-2025', { toolCall: { name: 'weather', arguments: { city: 'Oslo' } } });
    await client.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'weather?' }], tools });
    expectConforms('CreateChatCompletionResponse', JSON.parse(await wire()));
  });

  it('providers conformance: cohere chat streams, text and tool calls, with the usage chunk', async () => {
    for (const behaviour of [{}, { toolCall: { name: 'weather', arguments: { city: 'Oslo' } } }]) {
      cohere.reset();
      cohere.behave('command-a-03-2025', behaviour);
      captured.length = 0;
      const stream = await client.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'hi there' }], tools, stream: true, stream_options: { include_usage: true } });
      for await (const chunk of stream) void chunk;
      const events = sseData(await wire());
      expect(events.length).toBeGreaterThan(2);
      for (const event of events) expectConforms('CreateChatCompletionStreamResponse', event);
    }
  });

  it('providers conformance: cohere embeddings as floats on the wire, and as base64 decoded by the SDK (the spec has floats only)', async () => {
    await client.embeddings.create({ model: 'embed', input: ['a', 'b'], encoding_format: 'float' });
    expectConforms('CreateEmbeddingResponse', JSON.parse(await wire()));
    captured.length = 0;
    const decoded = await client.embeddings.create({ model: 'embed', input: 'a' });
    expectConforms('CreateEmbeddingResponse', decoded);
    expect(typeof (JSON.parse(await wire()) as { data: Array<{ embedding: unknown }> }).data[0]!.embedding).toBe('string');
  });

  it('providers conformance: a completions-only model answering chat, plain and streamed', async () => {
    await client.chat.completions.create({ model: 'instruct', messages: [{ role: 'user', content: 'hi' }] });
    expectConforms('CreateChatCompletionResponse', JSON.parse(await wire()));
    captured.length = 0;
    const stream = await client.chat.completions.create({ model: 'instruct', messages: [{ role: 'user', content: 'one two three' }], stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) void chunk;
    const events = sseData(await wire());
    expect(events.length).toBeGreaterThan(2);
    for (const event of events) expectConforms('CreateChatCompletionStreamResponse', event);
    expect(openai.requests.every((r) => r.path === '/v1/completions')).toBe(true);
  });
});
