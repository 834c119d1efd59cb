import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from './harness/mock-provider.js';

let mock: MockProvider;

beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => mock.reset());

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${mock.url.replace(/\/v1$/, '')}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'ping' }], ...extra });

function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
}

describe('mock provider', () => {
  it('mock provider: counts calls per model across endpoints and paths, not model listings', async () => {
    expect(mock.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const chatRes = await post('/v1/chat/completions', chat('gpt-a'), { authorization: 'Bearer k' });
    const body = (await chatRes.json()) as any;
    expect(body).toMatchObject({ object: 'chat.completion', model: 'gpt-a', choices: [{ message: { role: 'assistant', content: 'This is a mock response to: ping' }, finish_reason: 'stop' }] });
    expect(body.usage).toEqual({ prompt_tokens: 1, completion_tokens: 8, total_tokens: 9 });
    await post('/chat/completions', chat('gpt-a'));
    const completion = (await (await post('/v1/completions', { model: 'gpt-b', prompt: 'hello' })).json()) as any;
    expect(completion).toMatchObject({ object: 'text_completion', choices: [{ text: 'This is a mock response to: hello' }] });
    const embeddings = (await (await post('/v1/embeddings', { model: 'emb', input: ['a', 'b'], dimensions: 4 })).json()) as any;
    expect(embeddings.data).toHaveLength(2);
    expect(embeddings.data[0].embedding).toHaveLength(4);
    expect(embeddings.usage).toEqual({ prompt_tokens: 1, total_tokens: 1 });
    await post('/openai/deployments/azure-dep/chat/completions?api-version=2024-10-21', chat('ignored'));
    const models = (await (await fetch(`${mock.url}/models`)).json()) as any;
    expect(models.object).toBe('list');
    expect(mock.calls).toBe(5);
    expect(mock.callsByModel()).toEqual({ 'gpt-a': 2, 'gpt-b': 1, emb: 1, 'azure-dep': 1 });
    expect(mock.requests.map((r) => r.path)).toEqual([
      '/v1/chat/completions',
      '/chat/completions',
      '/v1/completions',
      '/v1/embeddings',
      '/openai/deployments/azure-dep/chat/completions',
    ]);
    expect(mock.requests[0]?.headers.authorization).toBe('Bearer k');
    expect(mock.requests[0]?.body).toEqual(chat('gpt-a'));
  });

  it('mock provider: errors, Retry-After, garbage and dropped connections per model, with * as fallback', async () => {
    mock.behave('*', { status: 503 });
    mock.behave('limited', { status: 429, retryAfter: 7 });
    mock.behave('custom', { status: 400, errorBody: { error: { message: 'nope', type: 'invalid_request_error', param: null, code: 'x' } } });
    mock.behave('ok', { status: 200, reply: 'fixed' });
    mock.behave('broken', { status: 200, garbage: true });
    mock.behave('dead', { dropConnection: true });

    const limited = await post('/v1/chat/completions', chat('limited'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(((await limited.json()) as any).error.code).toBe('rate_limit_exceeded');
    expect(((await (await post('/v1/chat/completions', chat('custom'))).json()) as any).error.message).toBe('nope');
    expect((await post('/v1/chat/completions', chat('other'))).status).toBe(503);
    expect(((await (await post('/v1/chat/completions', chat('ok'))).json()) as any).choices[0].message.content).toBe('fixed');
    await expect((await post('/v1/chat/completions', chat('broken'))).json()).rejects.toThrow();
    await expect(post('/v1/chat/completions', chat('dead'))).rejects.toThrow();
    expect(mock.calls).toBe(6);
  });

  it('mock provider: latency delays the answer', async () => {
    mock.behave('slow', { latencyMs: 150 });
    const started = Date.now();
    await (await post('/v1/chat/completions', chat('slow'))).json();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('mock provider: streams chunks, then a usage-only chunk when asked, then [DONE]', async () => {
    mock.behave('s', { streamChunks: 4, reply: 'one two three four five six seven eight' });
    const withUsage = sseData(await (await post('/v1/chat/completions', chat('s', { stream: true, stream_options: { include_usage: true } }))).text());
    expect(withUsage.at(-1)).toBe('[DONE]');
    const chunks = withUsage.slice(0, -1).map((data) => JSON.parse(data));
    const usageChunk = chunks.at(-1);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage.completion_tokens).toBe(Math.ceil('one two three four five six seven eight'.length / 4));
    const content = chunks.slice(0, -1);
    expect(content).toHaveLength(5);
    expect(content[0].choices[0].delta.role).toBe('assistant');
    expect(content.map((c: any) => c.choices[0].delta.content ?? '').join('')).toBe('one two three four five six seven eight');
    expect(content.at(-1).choices[0].finish_reason).toBe('stop');

    const withoutUsage = sseData(await (await post('/v1/chat/completions', chat('s', { stream: true }))).text());
    expect(withoutUsage.slice(0, -1).every((data) => !('usage' in JSON.parse(data)))).toBe(true);
    expect(withoutUsage.at(-1)).toBe('[DONE]');
  });

  it('mock provider: cutStreamAfter breaks the stream mid-way', async () => {
    mock.behave('cut', { streamChunks: 4, cutStreamAfter: 2, chunkDelayMs: 5, reply: 'a b c d e f g h' });
    const res = await post('/v1/chat/completions', chat('cut', { stream: true }));
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('mock provider: waitForCalls resolves on the call that reaches n, and times out otherwise', async () => {
    mock.behave('*', { latencyMs: 50 });
    const waiting = mock.waitForCalls(3, 2_000);
    const replies = Promise.all([1, 2, 3].map(() => post('/v1/chat/completions', chat('w'))));
    await expect(waiting).resolves.toBe(3);
    await replies;
    await expect(mock.waitForCalls(4, 50)).rejects.toThrow('expected 4 calls within 50 ms, got 3');
    await expect(mock.waitForCalls(2)).resolves.toBe(3);
  });

  it('mock provider: keeps only the most recent requests', async () => {
    const small = await startMockProvider({ maxRecorded: 3 });
    try {
      for (let i = 0; i < 10; i++) {
        await fetch(`${small.url}/embeddings`, { method: 'POST', body: JSON.stringify({ model: `m${i}`, input: 'x' }) });
      }
      expect(small.calls).toBe(10);
      expect(small.requests.map((r) => r.model)).toEqual(['m7', 'm8', 'm9']);
    } finally {
      await small.close();
    }
  });
});
