import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb } from '@switchyard/db';
import { eventually, startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { chat, manyModelsConfig, post, PROVIDER_KEY_ENV, readJson } from './fixtures.js';

/**
 * Invariant I1: one client request, one provider call, to the model it asked
 * for, whatever the number of configured deployments and replicas.
 */
async function sixRequests(urls: string[]) {
  const at = (i: number) => urls[i % urls.length]!;
  const responses = {
    chat: await post(at(0), '/v1/chat/completions', chat('model-0')),
    stream: await post(at(1), '/v1/chat/completions', chat('model-1', 'Stream please', { stream: true })),
    embeddings: await post(at(2), '/v1/embeddings', { model: 'embed', input: 'hello world' }),
    alias: await post(at(3), '/chat/completions', chat('smart')),
    group: await post(at(4), '/v1/chat/completions', chat('pool')),
    completions: await post(at(5), '/v1/completions', { model: 'model-5', prompt: 'Once upon a time' }),
  };
  const bodies = {
    chat: await readJson(responses.chat),
    stream: await responses.stream.text(),
    embeddings: await readJson(responses.embeddings),
    alias: await readJson(responses.alias),
    group: await readJson(responses.group),
    completions: await readJson(responses.completions),
  };
  return { responses, bodies };
}

describe.each([
  { label: 'one replica of each service', scale: {} },
  { label: 'three replicas of every service', scale: { ingress: 3, limiter: 3, 'upstream-caller': 3, learner: 3 } },
])('request path: one call per request ($label)', ({ scale }) => {
  let mock: MockProvider;
  let stack: InProcessStack;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: manyModelsConfig(mock.url),
      env: PROVIDER_KEY_ENV,
      scale,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });

  it('makes exactly 6 provider calls for 6 requests over 38 models, each to the requested model', async () => {
    mock.reset();
    const { responses, bodies } = await sixRequests(stack.ingressUrls);

    for (const response of Object.values(responses)) expect(response.status).toBe(200);
    expect(mock.calls).toBe(6);
    const byModel = mock.callsByModel();
    const poolMember = Object.keys(byModel).find((model) => model.startsWith('pool-'));
    expect(byModel).toEqual({
      'provider-model-0': 1,
      'provider-model-1': 1,
      'embedding-model': 1,
      'provider-model-3': 1,
      [poolMember!]: 1,
      'provider-model-5': 1,
    });

    expect(bodies.chat.choices[0].message.content).toEqual(expect.any(String));
    expect(bodies.stream).toContain('data: [DONE]');
    expect(bodies.embeddings.data[0].embedding.length).toBeGreaterThan(0);
    expect(responses.alias.headers.get('x-switchyard-deployment')).toMatch(/^model-3\//);
    expect(responses.group.headers.get('x-switchyard-deployment')).toMatch(/^pool\//);
    for (const response of Object.values(responses)) {
      expect(response.headers.get('x-switchyard-attempts')).toBe('1');
      expect(response.headers.get('x-request-id')).toMatch(/\S+/);
    }
  });

  it('records every call once in the learner, from the call-completed events', async () => {
    const db = createDb(stack.databaseUrl, 1);
    try {
      const total = await eventually(async () => {
        const row = await db
          .selectFrom('deployment_usage')
          .select((eb) => eb.fn.sum<number>('calls').as('calls'))
          .executeTakeFirst();
        const calls = Number(row?.calls ?? 0);
        return calls >= 6 ? calls : undefined;
      }, 15_000, 'six calls in deployment_usage');
      expect(total).toBe(6);
    } finally {
      await db.destroy();
    }
  });
});

describe('request path: failures do not multiply calls', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let retrying: InProcessStack;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({ servers: inject('servers'), config: manyModelsConfig(mock.url), env: PROVIDER_KEY_ENV });
    retrying = await startInProcessStack({
      servers: inject('servers'),
      config: manyModelsConfig(mock.url, { numRetries: 2 }),
      env: PROVIDER_KEY_ENV,
    });
  });
  afterAll(async () => {
    await Promise.all([stack?.stop(), retrying?.stop()]);
    await mock?.close();
  });

  it('answers a provider 500 with one call and a 502 when no retry is configured', async () => {
    mock.reset();
    mock.behave('provider-model-7', { status: 500 });
    const response = await post(stack.ingressUrls[0]!, '/v1/chat/completions', chat('model-7'));
    const body = await readJson(response);
    expect(response.status).toBe(502);
    expect(body.error).toMatchObject({ type: expect.any(String), message: expect.any(String) });
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(mock.calls).toBe(1);
  });

  it('retries a definite failure only as often as num_retries says, each attempt counted', async () => {
    mock.reset();
    mock.behave('provider-model-8', { status: 500 });
    const response = await post(retrying.ingressUrls[0]!, '/v1/chat/completions', chat('model-8'));
    expect(response.status).toBe(502);
    expect(response.headers.get('x-switchyard-attempts')).toBe('3');
    expect(mock.calls).toBe(3);
  });

  it('does not retry a failure that would fail again (a provider 400), whatever num_retries says', async () => {
    mock.reset();
    mock.behave('provider-model-6', { status: 400 });
    const response = await post(retrying.ingressUrls[0]!, '/v1/chat/completions', chat('model-6'));
    expect(response.status).toBe(400);
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(mock.calls).toBe(1);
  });

  it('never retries a timeout: the provider may have done the work', async () => {
    mock.reset();
    const config = manyModelsConfig(mock.url, { numRetries: 2 }).replace(
      'model: openai/provider-model-9\n      api_base',
      'model: openai/provider-model-9\n      timeout: 0.3\n      api_base',
    );
    const slow = await startInProcessStack({ servers: inject('servers'), config, env: PROVIDER_KEY_ENV });
    try {
      mock.behave('provider-model-9', { latencyMs: 2_000 });
      const response = await post(slow.ingressUrls[0]!, '/v1/chat/completions', chat('model-9'));
      expect(response.status).toBe(504);
      expect(response.headers.get('x-switchyard-attempts')).toBe('1');
      expect(mock.calls).toBe(1);
    } finally {
      await slow.stop();
    }
  });

  it('answers 503 without calling anyone when no upstream-caller runs', async () => {
    mock.reset();
    const noCaller = await startInProcessStack({
      servers: inject('servers'),
      config: manyModelsConfig(mock.url),
      env: PROVIDER_KEY_ENV,
      scale: { 'upstream-caller': 0 },
    });
    try {
      const response = await post(noCaller.ingressUrls[0]!, '/v1/chat/completions', chat('model-0'));
      expect(response.status).toBe(503);
      expect((await readJson(response)).error.code).toBe('no_upstream_caller');
      expect(mock.calls).toBe(0);
    } finally {
      await noCaller.stop();
    }
  });

  it('answers 503 without calling anyone when no limiter runs', async () => {
    mock.reset();
    const noLimiter = await startInProcessStack({
      servers: inject('servers'),
      config: manyModelsConfig(mock.url),
      env: PROVIDER_KEY_ENV,
      scale: { limiter: 0 },
    });
    try {
      const response = await post(noLimiter.ingressUrls[0]!, '/v1/chat/completions', chat('model-0'));
      expect(response.status).toBe(503);
      expect((await readJson(response)).error.code).toBe('no_limiter');
      expect(mock.calls).toBe(0);
    } finally {
      await noLimiter.stop();
    }
  });
});
