import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { chat, post, PROVIDER_KEY_ENV, reliabilityConfig, type TestDeployment } from '../fallbacks/fixtures.js';

/**
 * Every load-aware routing_strategy decides on the cluster's state, never on
 * one replica's view: requests go through three ingress replicas in turn and
 * are admitted by two limiters, and the choice is the one the whole
 * cluster's counters (in flight, tokens this minute, latencies) call for.
 */

const SCALE = { ingress: 3, limiter: 2, 'upstream-caller': 2, learner: 1 } as const;

async function startWith(mock: MockProvider, deployments: TestDeployment[], routerSettings: string): Promise<InProcessStack> {
  return startInProcessStack({ servers: inject('servers'), config: reliabilityConfig(mock.url, deployments, routerSettings), env: PROVIDER_KEY_ENV, scale: SCALE });
}

async function chatOk(stack: InProcessStack, index: number, extra: Record<string, unknown> = {}): Promise<string | null> {
  const response = await post(stack.ingressUrls[index % stack.ingressUrls.length]!, '/v1/chat/completions', chat('pool', 'Say hello', extra));
  expect(response.status, await response.clone().text()).toBe(200);
  return response.headers.get('x-litellm-model-id');
}

const pool = (...models: string[]): TestDeployment[] => models.map((model) => ({ group: 'pool', model }));

describe('routing-strategies: least-busy spreads calls in flight across the cluster', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startWith(mock, pool('a', 'b', 'c'), 'routing_strategy: least-busy');
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });

  it('routing-strategies: 9 held calls through 3 ingress replicas land 3/3/3, each on a least-busy deployment', async () => {
    // Held long enough that none finishes while the nine are sent (each is sent once the previous reached the provider).
    mock.behave('*', { latencyMs: 5000 });
    const responses: Array<Promise<string | null>> = [];
    for (let i = 0; i < 9; i++) {
      responses.push(chatOk(stack, i));
      await mock.waitForCalls(i + 1, 5000);
      const counts = Object.values(mock.callsByModel());
      // After every call the busiest deployment has at most one more in flight than the idlest.
      expect(Math.max(...counts) - (counts.length < 3 ? 0 : Math.min(...counts))).toBeLessThanOrEqual(1);
    }
    expect(mock.callsByModel()).toEqual({ a: 3, b: 3, c: 3 });
    const servedBy = await Promise.all(responses);
    expect(servedBy.filter((id) => id === 'a')).toHaveLength(3);
  });
});

describe('routing-strategies: usage-based-routing-v2 sends new requests to the deployment that used the fewest tokens', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startWith(mock, [{ group: 'pool', model: 'a', params: { tpm: 2000 } }, { group: 'pool', model: 'b', params: { tpm: 2000 } }], 'routing_strategy: usage-based-routing-v2');
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  afterEach(() => mock.reset());

  it('routing-strategies: after one deployment used most of its tpm, every replica sends the next requests to the other', async () => {
    // A long reply: the heavy deployment's minute holds its ~1000 tokens, reserved and then settled to the usage.
    mock.behave('*', { reply: 'word '.repeat(1000) });
    const heavy = await chatOk(stack, 0, { max_tokens: 1500 });
    expect(mock.billedTokens).toBeGreaterThan(900);
    mock.reset();
    const other = heavy === 'a' ? 'b' : 'a';
    const followers: Array<string | null> = [];
    for (let i = 1; i <= 6; i++) followers.push(await chatOk(stack, i, { max_tokens: 10 }));
    expect(followers).toEqual(Array(6).fill(other));
  });
});

describe('routing-strategies: latency-based-routing prefers the deployment whose recent calls were fastest', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startWith(mock, pool('fast', 'slow'), 'routing_strategy: latency-based-routing\nrouting_strategy_args: { ttl: 60, lowest_latency_buffer: 0 }');
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });

  it('routing-strategies: after warm-up the slow deployment gets (almost) nothing, whatever replica takes the request', async () => {
    mock.behave('slow', { latencyMs: 400 });
    // Warm-up: an untried deployment counts as fastest, so both get called.
    let sent = 0;
    while ((mock.callsByModel()['slow'] ?? 0) === 0 || (mock.callsByModel()['fast'] ?? 0) === 0) {
      await chatOk(stack, sent++);
      expect(sent).toBeLessThan(30);
    }
    const before = mock.callsByModel();
    for (let i = 0; i < 12; i++) await chatOk(stack, sent++);
    const after = mock.callsByModel();
    const slowCalls = (after['slow'] ?? 0) - (before['slow'] ?? 0);
    // A latency is recorded when its call-completed event is settled: a request admitted in between may still try slow.
    expect(slowCalls).toBeLessThanOrEqual(2);
    expect((after['fast'] ?? 0) - (before['fast'] ?? 0)).toBeGreaterThanOrEqual(10);
  });
});

describe('routing-strategies: cost-based-routing sends traffic to the cheapest deployment while it has headroom', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startWith(
      mock,
      [
        // The rpm limits run against the price: simple-shuffle, which weights by rpm, would favour the dearest.
        { group: 'pool', model: 'dear', params: { input_cost_per_token: 0.00001, output_cost_per_token: 0.00003, rpm: 100 } },
        { group: 'pool', model: 'cheap', params: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002, rpm: 2 } },
        { group: 'pool', model: 'middle', params: { input_cost_per_token: 0.000002, output_cost_per_token: 0.000004, rpm: 4 } },
      ],
      'routing_strategy: cost-based-routing',
    );
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });

  it('routing-strategies: cheapest first until its cluster-wide rpm is used, then the next cheapest, then the dearest', async () => {
    const servedBy: Array<string | null> = [];
    for (let i = 0; i < 8; i++) servedBy.push(await chatOk(stack, i));
    expect(servedBy).toEqual(['cheap', 'cheap', 'middle', 'middle', 'middle', 'middle', 'dear', 'dear']);
  });
});
