import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { eventually, startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { chat, chatAt, post, PROVIDER_KEY_ENV, readJson, reliabilityConfig } from './fixtures.js';

const MASTER_KEY = 'sk-master-cooldowns';
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };

interface HealthRow {
  model_id: string;
  cooling_down: boolean;
  failures_in_window: number;
  recent_failures: Array<{ kind: string; status: number }>;
}

/**
 * Cooldowns are the cluster's, not a replica's: failures one replica saw
 * cool a deployment down for every ingress, limiter and upstream-caller,
 * and it comes back by itself when its cooldown_time ends.
 */
describe('fallbacks: cooldowns for the whole cluster (3 ingress, 2 limiter, 2 upstream-caller)', () => {
  let mock: MockProvider;
  let stack: InProcessStack;

  beforeAll(async () => {
    mock = await startMockProvider();
    const config = reliabilityConfig(
      mock.url,
      [
        { group: 'pool', model: 'flaky', params: { cooldown_time: 2 } },
        { group: 'pool', model: 'steady' },
      ],
      'allowed_fails: 1\ncooldown_time: 60\n',
      `{ master_key: ${MASTER_KEY} }`,
    );
    stack = await startInProcessStack({
      servers: inject('servers'),
      config,
      env: PROVIDER_KEY_ENV,
      scale: { ingress: 3, limiter: 2, 'upstream-caller': 2, learner: 1 },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  async function health(): Promise<Map<string, HealthRow>> {
    const response = await fetch(`${stack.ingressUrls[1]}/health/deployments`, { headers: AUTH });
    expect(response.status).toBe(200);
    const body = (await readJson(response)) as { deployments: HealthRow[] };
    return new Map(body.deployments.map((row) => [row.model_id, row]));
  }

  it('fallbacks: /health/deployments is behind the master key', async () => {
    const response = await fetch(`${stack.ingressUrls[0]}/health/deployments`);
    expect(response.status).toBe(401);
  });

  it('fallbacks: a deployment failing past allowed_fails is skipped by every replica, then comes back by itself', async () => {
    mock.behave('flaky', { status: 500 });
    // Requests through different ingress replicas until flaky has failed twice (allowed_fails: 1, so the second starts the cooldown).
    let sent = 0;
    await eventually(async () => {
      // 200 from steady or 502 from flaky (no retries configured): either way one call.
      const response = await post(stack.ingressUrls[sent++ % 3]!, '/v1/chat/completions', chat('pool'), AUTH);
      expect([200, 502]).toContain(response.status);
      return (mock.callsByModel()['flaky'] ?? 0) >= 2 ? true : undefined;
    }, 20_000, 'two failures of flaky');
    const cooling = await eventually(async () => {
      const row = (await health()).get('flaky');
      return row?.cooling_down ? row : undefined;
    }, 10_000, 'flaky cooling down');
    expect(cooling.recent_failures.length).toBeGreaterThanOrEqual(2);
    expect(cooling.recent_failures[0]).toMatchObject({ kind: 'internal_server', status: 502 });
    expect((await health()).get('steady')?.cooling_down).toBe(false);

    // While it cools down, no replica sends it anything: every request is served by steady.
    const flakyCalls = mock.callsByModel()['flaky'];
    for (let i = 0; i < 12; i++) {
      const response = await chatAt(stack.ingressUrls[i % 3]!, 'pool', 200, {}, AUTH);
      expect(response.headers.get('x-litellm-model-id')).toBe('steady');
    }
    expect(mock.callsByModel()['flaky']).toBe(flakyCalls);

    // flaky recovers; its cooldown key expires (cooldown_time: 2 of the deployment, over the router's 60) and it takes traffic again.
    mock.behave('flaky', { status: 200 });
    await eventually(async () => ((await health()).get('flaky')?.cooling_down === false ? true : undefined), 10_000, 'cooldown to end');
    await eventually(async () => {
      await chatAt(stack.ingressUrls[0]!, 'pool', 200, {}, AUTH);
      return (mock.callsByModel()['flaky'] ?? 0) > flakyCalls! ? true : undefined;
    }, 10_000, 'flaky to serve again');
  });
});
