import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { meteredConfig, meteredRequest, REPLY, send } from './fixtures.js';

/**
 * Invariant I2 through the whole stack: 5 ingress replicas and 2 limiter
 * replicas share one limit. The incident this reproduces admitted 5x the
 * limit because each replica counted on its own.
 */
describe('limits: cluster-wide, across replicas', () => {
  let mock: MockProvider;
  let stack: InProcessStack | null = null;

  beforeAll(async () => {
    mock = await startMockProvider();
  });
  afterEach(async () => {
    await stack?.stop();
    stack = null;
  });
  afterAll(async () => {
    await mock?.close();
  });

  async function roundRobin(urls: string[], count: number) {
    const results: Array<{ status: number; tokens: number; retryAfter: string | null; headers: Headers }> = [];
    for (let i = 0; i < count; i++) {
      const response = await send(urls[i % urls.length]!, meteredRequest());
      const body = (await response.json()) as { usage?: { total_tokens: number } };
      results.push({ status: response.status, tokens: body.usage?.total_tokens ?? 0, retryAfter: response.headers.get('retry-after'), headers: response.headers });
    }
    return results;
  }

  it('tpm: 500 over 5 ingress and 2 limiter replicas admits 500 tokens, not 5 x 500', async () => {
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: meteredConfig(mock.url, { tpm: 500 }),
      scale: { ingress: 5, limiter: 2 },
    });
    mock.reset();
    mock.behave('*', { reply: REPLY });
    const results = await roundRobin(stack.ingressUrls, 75);
    const admitted = results.filter((result) => result.status === 200);
    const denied = results.filter((result) => result.status === 429);
    const perRequest = admitted[0]!.tokens; // 10 prompt + 10 completion at the mock
    const fits = Math.floor(500 / perRequest);

    expect(perRequest).toBe(20);
    expect(admitted.length + denied.length).toBe(75);
    expect(admitted.length).toBeGreaterThanOrEqual(fits - 1);
    expect(admitted.length).toBeLessThanOrEqual(fits);
    expect(admitted.reduce((sum, result) => sum + result.tokens, 0)).toBeLessThanOrEqual(500);
    // Admission stops once, at the limit: nothing after the first denial gets through.
    const firstDenial = results.findIndex((result) => result.status === 429);
    expect(results.slice(firstDenial).every((result) => result.status === 429)).toBe(true);
    for (const result of denied) expect(Number(result.retryAfter)).toBeGreaterThan(0);
    expect(mock.calls).toBe(admitted.length);
  });

  it('rpm: 20 over 5 ingress and 2 limiter replicas admits exactly 20 of 40', async () => {
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: meteredConfig(mock.url, { rpm: 20 }),
      scale: { ingress: 5, limiter: 2 },
    });
    mock.reset();
    const results = await roundRobin(stack.ingressUrls, 40);
    expect(results.filter((result) => result.status === 200)).toHaveLength(20);
    expect(results.slice(20).every((result) => result.status === 429)).toBe(true);
    expect(mock.calls).toBe(20);

    const last = results[19]!.headers;
    expect(last.get('x-ratelimit-limit-requests')).toBe('20');
    expect(last.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(last.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|(\d+m)?[\d.]+s)$/);
    const deniedHeaders = results[20]!.headers;
    expect(deniedHeaders.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(Number(deniedHeaders.get('retry-after'))).toBeGreaterThan(0);
  });

  it('200 simultaneous requests against rpm: 50 admit exactly 50', async () => {
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: meteredConfig(mock.url, { rpm: 50 }),
      scale: { ingress: 2, limiter: 2 },
    });
    mock.reset();
    const urls = stack.ingressUrls;
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => send(urls[i % urls.length]!, meteredRequest()).then(async (response) => {
        await response.arrayBuffer();
        return response.status;
      })),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(50);
    expect(statuses.filter((status) => status === 429)).toHaveLength(150);
    expect(mock.calls).toBe(50);
  });

  it('a denied request gets an OpenAI-shaped 429 and reaches no provider', async () => {
    stack = await startInProcessStack({ servers: inject('servers'), config: meteredConfig(mock.url, { rpm: 1 }) });
    mock.reset();
    expect((await send(stack.ingressUrls[0]!, meteredRequest())).status).toBe(200);
    const denied = await send(stack.ingressUrls[0]!, meteredRequest());
    const body = (await denied.json()) as { error: Record<string, unknown> };
    expect(denied.status).toBe(429);
    expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null });
    expect(String(body.error.message)).toContain('requests per minute');
    expect(mock.calls).toBe(1);
  });

  it('a group sends a request to a deployment that can admit it, and 429s only when none can', async () => {
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: meteredConfig(mock.url, { rpm: 5 }, { members: 2 }),
      scale: { limiter: 2 },
    });
    mock.reset();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await send(stack.ingressUrls[0]!, meteredRequest());
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 10).every((status) => status === 200)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect(mock.callsByModel()).toEqual({ 'metered-0': 5, 'metered-1': 5 });
  });

  it('max_parallel_requests caps concurrent calls cluster-wide and frees the slot when a call ends', async () => {
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: meteredConfig(mock.url, { maxParallel: 2 }),
      scale: { ingress: 2, limiter: 2 },
    });
    mock.reset();
    mock.behave('*', { latencyMs: 500 });
    const urls = stack.ingressUrls;
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, i) => send(urls[i % 2]!, meteredRequest()).then(async (response) => {
        await response.arrayBuffer();
        return response.status;
      })),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(2);
    expect(statuses.filter((status) => status === 429)).toHaveLength(4);
    mock.behave('*', { latencyMs: 0 });
    // Slots are freed by settlement of the call-completed events: the next request gets one.
    const statusAfter = await (async () => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const response = await send(urls[0]!, meteredRequest());
        await response.arrayBuffer();
        if (response.status === 200) return 200;
      }
      return 429;
    })();
    expect(statusAfter).toBe(200);
  });
});
