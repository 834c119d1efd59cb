import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider, type MockProviderBehaviour } from '../harness/index.js';
import { meteredConfig, PROMPT, send } from './fixtures.js';

/**
 * Issue 12: a tpm limit held only for requests that reserved what they would
 * use. Each case here made a deployment with tpm: 2000 admit 3-20 times that
 * (settlement caught up only afterwards): the completion reserved once for n
 * choices, max_completion_tokens reserved when the provider honoured the
 * larger max_tokens, a prompt hidden in a tool description, a stream whose
 * provider sent no usage. The mock provider behaves as the worst provider
 * allowed to (it honours the larger bound, bills every choice and the tools,
 * streams without usage), and what it billed is the truth: in one window it
 * stays within tpm plus the overshoot of one request.
 */

const TPM = 2000;
const REQUESTS = 40;
const CONCURRENCY = 8;

describe('limits: reservations bound what the provider does', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let redis: Redis;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: meteredConfig(mock.url, { tpm: TPM }),
      scale: { ingress: 2, limiter: 2 },
    });
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
    redis?.disconnect();
  });

  /** A fresh window: the counters of the previous case are removed. */
  async function freshWindow(): Promise<void> {
    const keys = await redis.keys(`${stack.names.prefix}:rl:*`);
    if (keys.length > 0) await redis.del(...keys);
    mock.reset();
  }

  async function fire(body: Record<string, unknown>, options: { concurrency: number; afterEach?: () => Promise<void> }) {
    const statuses: number[] = [];
    let next = 0;
    const urls = stack.ingressUrls;
    await Promise.all(
      Array.from({ length: options.concurrency }, async (_, worker) => {
        while (next < REQUESTS) {
          next += 1;
          const response = await send(urls[worker % urls.length]!, body);
          await response.arrayBuffer();
          statuses.push(response.status);
          await options.afterEach?.();
        }
      }),
    );
    return statuses;
  }

  /** Resolves once no reservation is outstanding: every call so far has been settled. */
  async function settled(): Promise<void> {
    const pattern = `${stack.names.prefix}:rl:res:*`;
    for (let attempt = 0; attempt < 3000; attempt++) {
      if ((await redis.keys(pattern)).length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('reservations were not settled within 30 s');
  }

  async function run(behaviour: Partial<MockProviderBehaviour>, body: Record<string, unknown>, options: { concurrency: number; sequential?: boolean }) {
    await freshWindow();
    mock.behave('*', behaviour);
    const statuses = await fire(
      { model: 'metered', messages: [{ role: 'user', content: PROMPT }], ...body },
      options.sequential ? { concurrency: 1, afterEach: settled } : { concurrency: options.concurrency },
    );
    const admitted = statuses.filter((status) => status === 200).length;
    return { statuses, admitted, billed: mock.billedTokens, perRequest: admitted > 0 ? mock.billedTokens / admitted : 0 };
  }

  function expectWithinTheLimit(result: Awaited<ReturnType<typeof run>>) {
    // Every admitted request bills the same here, so one request's overshoot is perRequest.
    expect(result.billed, `billed ${result.billed} for tpm ${TPM} (${(result.billed / TPM).toFixed(1)}x)`).toBeLessThanOrEqual(TPM + result.perRequest);
    expect(result.admitted).toBeGreaterThan(0);
    expect(result.statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(result.statuses.every((status) => status === 200 || status === 429)).toBe(true);
  }

  it('n: 10 reserves the completion ten times', async () => {
    const result = await run({ reply: 'y'.repeat(400), honourMaxTokens: true, honourChoices: true }, { max_tokens: 20, n: 10 }, { concurrency: CONCURRENCY });
    expect(result.perRequest).toBe(10 + 10 * 20);
    expectWithinTheLimit(result);
  });

  it('max_completion_tokens: 1 beside max_tokens: 1000 reserves the larger', async () => {
    const result = await run({ reply: 'y'.repeat(4000), honourMaxTokens: true }, { max_completion_tokens: 1, max_tokens: 1000 }, { concurrency: CONCURRENCY });
    expect(result.perRequest).toBe(10 + 1000);
    expectWithinTheLimit(result);
  });

  it('a prompt inside tools[].function.description is reserved as prompt', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', description: 'context '.repeat(500), parameters: { type: 'object', properties: {} } } }];
    const result = await run({ reply: 'y'.repeat(40), honourMaxTokens: true, billToolsAsPrompt: true }, { max_tokens: 10, tools }, { concurrency: CONCURRENCY });
    expect(result.perRequest).toBeGreaterThan(1000);
    expectWithinTheLimit(result);
  });

  it('a stream whose provider sends no usage settles from the streamed text', async () => {
    // No max_tokens: nothing bounds this completion before it ends, so only settlement can
    // hold the limit, and requests go one after another once the previous one is settled.
    // (With a client bound, the reservation holds it under any concurrency: the cases above.)
    const result = await run({ reply: 'y'.repeat(4000), omitStreamUsage: true }, { stream: true, stream_options: { include_usage: true } }, { concurrency: 1, sequential: true });
    expect(result.perRequest).toBe(10 + 1000);
    expectWithinTheLimit(result);
  });
});
