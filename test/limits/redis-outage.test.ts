import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OwnRedisServer, startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { meteredConfig, meteredRequest, send } from './fixtures.js';

/** Polls the API until a request is admitted again: recovery is asynchronous (the client reconnects). */
async function untilAdmitted(url: string, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await send(url, meteredRequest());
    await response.arrayBuffer();
    if (response.status === 200 || Date.now() > deadline) return response.status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('limits: when Redis goes away', () => {
  let redis: OwnRedisServer;
  let mock: MockProvider;
  let rejecting: InProcessStack;
  let allowing: InProcessStack;

  beforeAll(async () => {
    redis = await OwnRedisServer.start();
    mock = await startMockProvider();
    rejecting = await startInProcessStack({
      servers: inject('servers'),
      redisUrl: redis.url,
      config: meteredConfig(mock.url, { rpm: 3 }, { onLimiterUnavailable: 'reject' }),
    });
    allowing = await startInProcessStack({
      servers: inject('servers'),
      redisUrl: redis.url,
      config: meteredConfig(mock.url, { rpm: 3 }, { onLimiterUnavailable: 'allow' }),
    });
  });
  afterAll(async () => {
    await Promise.all([rejecting?.stop(), allowing?.stop()]);
    await mock?.close();
    await redis?.kill();
  });

  it('applies the configured policy while Redis is down, then enforces limits again when it returns', async () => {
    mock.reset();
    expect((await send(rejecting.ingressUrls[0]!, meteredRequest())).status).toBe(200);

    await redis.kill();
    const refused = await send(rejecting.ingressUrls[0]!, meteredRequest());
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(refused.status).toBe(503);
    expect(body.error.code).toBe('limiter_unavailable');
    expect(body.error.message).toContain('on_limiter_unavailable: reject');
    const allowed = await Promise.all([1, 2, 3, 4, 5].map(() => send(allowing.ingressUrls[0]!, meteredRequest())));
    expect(allowed.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(mock.calls).toBe(1 + 5);

    await redis.restart();
    // A fresh Redis has no counters: rpm: 3 admits 3 again, then denies.
    expect(await untilAdmitted(rejecting.ingressUrls[0]!)).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(rejecting.ingressUrls[0]!, meteredRequest())).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});
