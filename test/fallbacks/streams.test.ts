import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { PROVIDER_KEY_ENV } from './fixtures.js';
import { pathsConfig } from './paths.config.js';

/**
 * Streams: before the first byte reached the client a failure may still be
 * retried or fall back; after it, the client gets an OpenAI error event and
 * the stream closes. Never a stream cut short that looks complete.
 */
describe('fallbacks: streams', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let client: OpenAI;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({ servers: inject('servers'), config: pathsConfig(mock.url), env: PROVIDER_KEY_ENV });
    // The SDK's default retries would hide the gateway's own count.
    client = new OpenAI({ apiKey: 'unused', baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  it('fallbacks: a stream whose deployments fail before the first byte is served whole by the fallback', async () => {
    mock.behave('main-a', { status: 500 });
    mock.behave('main-b', { status: 500 });
    mock.behave('backup-a', { reply: 'one two three four', streamChunks: 4 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'main', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('one two three four');
    expect(finish).toBe('stop');
    expect(mock.callsByModel()).toEqual({ 'main-a': 1, 'main-b': 1, 'backup-a': 1 });
    expect(response.headers.get('x-switchyard-attempts')).toBe('3');
    expect(response.headers.get('x-litellm-model-group')).toBe('backup');
  });

  it('fallbacks: a stream that breaks after its first chunk ends in an error event, with no retry or fallback', async () => {
    // The pause lets the first chunk reach the client before the provider dies.
    mock.behave('cut-a', { reply: 'alpha beta gamma delta', streamChunks: 4, cutStreamAfter: 2, chunkDelayMs: 150 });
    const stream = await client.chat.completions.create({ model: 'cut', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    const consumed = (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })();
    const error = await consumed.then(
      () => null,
      (caught: unknown) => caught,
    );
    // The SDK turns the gateway's error event into an APIError: the client knows the answer is incomplete.
    expect(error).toBeInstanceOf(APIError);
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toBe('alpha beta gamma delta');
    // cut has a fallback (backup), but the stream had started: one call only.
    expect(mock.calls).toBe(1);
  });
});
