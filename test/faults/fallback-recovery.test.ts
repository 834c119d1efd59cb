import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { attemptHeaders, chatAt, PROVIDER_KEY_ENV, reliabilityConfig } from '../fallbacks/fixtures.js';

const MASTER_KEY = 'sk-master-faults';
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };
const DURING_COOLDOWN = 12;
const AFTER_RECOVERY = 6;

/**
 * A deployment fails and recovers: traffic moves to the fallback, costs one
 * provider call per request while the deployment cools down (the limiter
 * skips it without calling it), and returns by itself when the cooldown ends.
 */
describe('faults: a failing deployment, its fallback and its recovery (2 ingress, 2 limiters, 2 upstream-callers)', () => {
  let mock: MockProvider;
  let stack: InProcessStack;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: reliabilityConfig(
        mock.url,
        [
          { group: 'primary', model: 'primary-a', params: { cooldown_time: 2 } },
          { group: 'secondary', model: 'secondary-a' },
        ],
        'allowed_fails: 0\nfallbacks: [{ primary: [secondary] }]\n',
        `{ master_key: ${MASTER_KEY} }`,
      ),
      env: PROVIDER_KEY_ENV,
      scale: { ingress: 2, limiter: 2, 'upstream-caller': 2, learner: 1 },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });

  async function primaryCooling(): Promise<boolean> {
    const response = await fetch(`${stack.ingressUrls[1]}/health/deployments`, { headers: AUTH });
    const body = (await response.json()) as { deployments: Array<{ model_id: string; cooling_down: boolean }> };
    return body.deployments.find((row) => row.model_id === 'primary-a')?.cooling_down ?? false;
  }

  it('faults: fail -> fallback -> cooldown (fallback only, one call each) -> recovery, with every call counted', async () => {
    const figures: Record<string, unknown> = {};
    // 1. primary fails: the request is served by the fallback, two provider calls.
    mock.behave('primary-a', { status: 500 });
    const failed = await chatAt(stack.ingressUrls[0]!, 'primary', 200, {}, AUTH);
    expect(attemptHeaders(failed)).toMatchObject({ attempts: '2', fallbacks: '1', modelId: 'secondary-a' });
    figures.failing = mock.callsByModel();
    expect(figures.failing).toEqual({ 'primary-a': 1, 'secondary-a': 1 });

    // 2. One failure over allowed_fails: 0 cools it down, for the whole cluster.
    await eventually(async () => ((await primaryCooling()) ? true : undefined), 10_000, 'primary cooling down');
    mock.reset();
    for (let i = 0; i < DURING_COOLDOWN; i++) {
      const response = await chatAt(stack.ingressUrls[i % 2]!, 'primary', 200, {}, AUTH);
      // Attempt 1 is the limiter's refusal (every candidate cooling): no provider call; attempt 2 the fallback.
      expect(attemptHeaders(response)).toMatchObject({ attempts: '2', fallbacks: '1', modelGroup: 'secondary' });
    }
    figures.cooling = mock.callsByModel();
    expect(figures.cooling).toEqual({ 'secondary-a': DURING_COOLDOWN });

    // 3. primary recovers; its cooldown ends by itself and traffic returns.
    mock.behave('primary-a', { status: 200 });
    await eventually(async () => ((await primaryCooling()) ? undefined : true), 10_000, 'the cooldown to end');
    mock.reset();
    for (let i = 0; i < AFTER_RECOVERY; i++) {
      const response = await chatAt(stack.ingressUrls[i % 2]!, 'primary', 200, {}, AUTH);
      expect(attemptHeaders(response)).toMatchObject({ attempts: '1', fallbacks: '0', modelId: 'primary-a' });
    }
    figures.recovered = mock.callsByModel();
    expect(figures.recovered).toEqual({ 'primary-a': AFTER_RECOVERY });
  });
});
