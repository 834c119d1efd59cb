import { connect } from 'nats';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { chat, manyModelsConfig, post, PROVIDER_KEY_ENV, readJson, sseEvents, sseJson } from './fixtures.js';

/**
 * Bodies larger than a NATS message, in both directions, and the exact SSE
 * the client sees: framing, the usage chunk, headers, a stream that breaks.
 */

/** A text whose every part is different, so a lost, doubled or reordered bus chunk changes it. */
function numberedText(chars: number): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < chars; i++) {
    const part = `<${i.toString(36)}>`;
    parts.push(part);
    length += part.length;
  }
  return parts.join('').slice(0, chars);
}

describe('request path: bodies larger than a bus message', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let url: string;
  let maxPayload: number;

  beforeAll(async () => {
    const nc = await connect({ servers: inject('servers').natsUrl });
    maxPayload = nc.info!.max_payload;
    await nc.close();
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: manyModelsConfig(mock.url, { maxRequestBodyBytes: 8 * 1024 * 1024 }),
      env: PROVIDER_KEY_ENV,
    });
    url = stack.ingressUrls[0]!;
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  it('request path: a chat body twice the NATS max payload reaches the provider whole, in one call', async () => {
    const messages = Array.from({ length: 1024 }, (_, i) => ({
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: `${i}:${numberedText(2_200)}`,
    }));
    const body = JSON.stringify({ model: 'model-0', messages });
    expect(Buffer.byteLength(body)).toBeGreaterThan(2 * maxPayload);

    const response = await post(url, '/v1/chat/completions', body);
    const json = await readJson(response);

    expect(response.status).toBe(200);
    expect(json.choices[0].message.content).toContain('1022:'); // the mock echoes the last user message
    expect(mock.calls).toBe(1);
    const received = mock.requests.at(-1)!.body as { model: string; messages: Array<{ role: string; content: string }> };
    expect(received.model).toBe('provider-model-0');
    expect(received.messages).toHaveLength(1024);
    expect(received.messages).toEqual(messages);
  });

  it('request path: a non-streamed response of 1.5 MB reaches the client intact, in one call', async () => {
    const reply = numberedText(1_500_000);
    expect(reply.length).toBeGreaterThan(maxPayload);
    mock.behave('provider-model-1', { reply });

    const response = await post(url, '/v1/chat/completions', chat('model-1'));
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const json = JSON.parse(text);
    expect(json.choices[0].message.content.length).toBe(reply.length);
    expect(json.choices[0].message.content === reply).toBe(true);
    expect(mock.calls).toBe(1);
  });

  it('request path: more messages than the gateway accepts is a 400 naming messages, and calls nothing', async () => {
    mock.reset();
    const messages = Array.from({ length: 4097 }, () => ({ role: 'user', content: 'hi' }));
    const response = await post(url, '/v1/chat/completions', { model: 'model-0', messages });
    const body = (await response.json()) as { error: { param: string; type: string } };
    expect(response.status).toBe(400);
    expect(body.error).toMatchObject({ param: 'messages', type: 'invalid_request_error' });
    expect(mock.calls).toBe(0);
  });

  it('request path: one stream event larger than a bus message reaches the client as one valid event', async () => {
    const reply = numberedText(1_500_000);
    mock.behave('provider-model-2', { reply, streamChunks: 1 });

    const response = await post(url, '/v1/chat/completions', chat('model-2', 'big stream', { stream: true }));
    const { events, complete } = sseEvents(await response.text());

    expect(response.status).toBe(200);
    expect(complete).toBe(true);
    const chunks = sseJson(events.filter((event) => event !== '[DONE]'));
    const content = chunks.map((chunk) => chunk.choices?.[0]?.delta?.content ?? '').join('');
    expect(content.length).toBe(reply.length);
    expect(content === reply).toBe(true);
  });
});

describe('request path: streams as the client sees them', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let url: string;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: manyModelsConfig(mock.url, { modelParams: { 4: { max_tokens: 77 } } }),
      env: PROVIDER_KEY_ENV,
    });
    url = stack.ingressUrls[0]!;
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  async function stream(model: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const response = await post(url, '/v1/chat/completions', chat(model, 'alpha beta gamma delta epsilon', { stream: true, ...extra }), headers);
    const text = await response.text();
    return { response, text, ...sseEvents(text) };
  }

  it('request path: every event is one data line and a blank line, ending with [DONE]', async () => {
    const { response, text, events, complete } = await stream('model-0');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(complete).toBe(true);
    expect(text.startsWith('data: ')).toBe(true);
    for (const event of events) expect(event).toMatch(/^data: [^\n]+$/);
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(events.filter((event) => event === 'data: [DONE]')).toHaveLength(1);
    const chunks = sseJson(events);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.object).toBe('chat.completion.chunk');
    expect(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('')).toContain('alpha beta gamma delta epsilon');
    expect(mock.calls).toBe(1);
  });

  it('request path: a stream carries the deployment, attempts and request id headers', async () => {
    const { response } = await stream('model-1', {}, { 'x-request-id': 'stream-req-1' });

    expect(response.headers.get('x-switchyard-deployment')).toMatch(/^model-1\//);
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(response.headers.get('x-request-id')).toBe('stream-req-1');
    expect(mock.calls).toBe(1);
  });

  it('request path: without include_usage the client gets no usage chunk (the gateway asks the provider anyway)', async () => {
    const { events } = await stream('model-2');
    const chunks = sseJson(events);

    expect(chunks.filter((chunk) => chunk.choices.length === 0)).toEqual([]);
    expect(chunks.filter((chunk) => chunk.usage != null)).toEqual([]);
    expect(events.at(-1)).toBe('data: [DONE]');
    const sent = mock.requests.at(-1)!.body as { stream_options?: { include_usage?: boolean } };
    expect(sent.stream_options?.include_usage).toBe(true);
    expect(mock.calls).toBe(1);
  });

  it('request path: with include_usage the client gets exactly one usage chunk, just before [DONE]', async () => {
    const { events } = await stream('model-3', { stream_options: { include_usage: true } });
    const usageChunks = sseJson(events).filter((chunk) => chunk.usage != null);

    expect(usageChunks).toHaveLength(1);
    expect(usageChunks[0].choices).toEqual([]);
    expect(usageChunks[0].usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(JSON.parse(events.at(-2)!.slice('data: '.length))).toEqual(usageChunks[0]);
    expect(mock.calls).toBe(1);
  });

  it('request path: a stream the provider cuts halfway ends with an OpenAI error event, after one call', async () => {
    // The pause before the second chunk lets the response head reach the client before the cut; a provider
    // that dies within the first packet is answered 502 instead (see the next test).
    mock.behave('provider-model-5', { reply: 'one two three four five six seven eight', streamChunks: 4, cutStreamAfter: 2, chunkDelayMs: 100 });
    const { response, events, complete } = await stream('model-5');

    expect(response.status).toBe(200);
    expect(complete).toBe(true);
    for (const event of events) expect(event).toMatch(/^data: [^\n]+$/);
    expect(events).not.toContain('data: [DONE]');
    const payloads = sseJson(events);
    const last = payloads.at(-1);
    expect(Object.keys(last)).toEqual(['error']);
    expect(last.error).toEqual({ message: expect.any(String), type: expect.any(String), param: null, code: expect.any(String) });
    expect(payloads.filter((payload) => 'error' in payload)).toHaveLength(1);
    // The chunk written just before the provider's socket is destroyed may never leave it.
    expect(payloads.slice(0, -1).map((chunk) => chunk.choices[0].delta.content).join('')).toMatch(/^one two (three four )?$/);
    expect(events.join('\n')).not.toContain(PROVIDER_KEY_ENV.MOCK_PROVIDER_KEY);
    expect(mock.calls).toBe(1);
  });

  it("request path: a deployment's max_tokens applies when the client sets none, and the client's value wins", async () => {
    const defaulted = await post(url, '/v1/chat/completions', chat('model-4'));
    expect(defaulted.status).toBe(200);
    await defaulted.body?.cancel();
    expect((mock.requests.at(-1)!.body as { max_tokens?: number }).max_tokens).toBe(77);

    const explicit = await post(url, '/v1/chat/completions', chat('model-4', 'hi', { max_tokens: 12 }));
    expect(explicit.status).toBe(200);
    await explicit.body?.cancel();
    expect((mock.requests.at(-1)!.body as { max_tokens?: number }).max_tokens).toBe(12);

    const streamed = await stream('model-4');
    expect(streamed.response.status).toBe(200);
    expect((mock.requests.at(-1)!.body as { max_tokens?: number }).max_tokens).toBe(77);

    const other = await post(url, '/v1/chat/completions', chat('model-6'));
    await other.body?.cancel();
    expect(mock.requests.at(-1)!.body).not.toHaveProperty('max_tokens');
    expect(mock.calls).toBe(4);
  });
});

describe('request path: a broken stream is never retried', () => {
  let mock: MockProvider;
  let stack: InProcessStack;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: manyModelsConfig(mock.url, { numRetries: 2 }),
      env: PROVIDER_KEY_ENV,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });

  it('request path: a provider that dies right after its first chunk gets one call, whatever num_retries says', async () => {
    mock.behave('provider-model-7', { reply: 'one two three four', streamChunks: 4, cutStreamAfter: 1 });
    const response = await post(stack.ingressUrls[0]!, '/v1/chat/completions', chat('model-7', 'hi', { stream: true }));
    const text = await response.text();

    // Whether the cut comes before or after the head reached the gateway, the failure is not definite: the
    // provider took the request. Before, the client gets a 502; after, an error event ends the stream.
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    if (response.status === 200) {
      const { events, complete } = sseEvents(text);
      expect(complete).toBe(true);
      expect(Object.keys(sseJson(events).at(-1))).toEqual(['error']);
      expect(events).not.toContain('data: [DONE]');
    } else {
      expect(response.status).toBe(502);
      expect(JSON.parse(text).error).toEqual({ message: expect.any(String), type: expect.any(String), param: null, code: expect.any(String) });
    }
    expect(mock.calls).toBe(1);
  });
});
