import { describe, expect, it } from 'vitest';
import { parseGatewayConfig, resolveModel } from '@switchyard/config';
import { Errors, GatewayError } from '@switchyard/contracts';
import { maxProviderCalls, seededRandom } from '@switchyard/routing';
import { runAttempts, type AttemptStep } from './attempt-runner.js';
import type { AttemptResult } from './dispatch.js';

const config = parseGatewayConfig(
  `
model_list:
  - { model_name: main, litellm_params: { model: mock/a1 }, model_info: { id: a1 } }
  - { model_name: main, litellm_params: { model: mock/a2 }, model_info: { id: a2 } }
  - { model_name: backup, litellm_params: { model: mock/b1 }, model_info: { id: b1 } }
router_settings:
  num_retries: 1
  fallbacks: [{ main: [backup] }]
`,
  { source: '<test>', env: {} },
);
const context = {
  settings: config.router.reliability,
  deploymentsOf: (group: string) => resolveModel(config, group)?.deployments ?? [],
  random: seededRandom(1),
};

function providerFailure(status: number, definite = true, deploymentId: string | null = null): AttemptResult {
  const error = status === 429 ? new GatewayError({ status, type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'slow down' }) : Errors.upstreamFailed('down', 'upstream_error');
  return { kind: 'failure', error, definite, retryable: definite, providerCalled: true, headers: {}, deploymentId };
}

function response(deploymentId: string): AttemptResult {
  return { kind: 'response', head: { status: 200, contentType: 'application/json', deploymentId, attempt: 1, headers: {} } } as AttemptResult;
}

async function runWith(answers: Array<(step: AttemptStep) => AttemptResult>) {
  const steps: AttemptStep[] = [];
  const outcome = await runAttempts({ group: 'main', clientFallbacks: null }, context, {
    send: async (step) => {
      steps.push(step);
      return answers[steps.length - 1]!(step);
    },
    wait: async () => true,
  });
  return { run: outcome!, steps };
}

describe('ingress: attempt runner carries out the policy', () => {
  it('ingress: a definite failure is retried on the other deployment, then falls back; the trail lists each attempt', async () => {
    const { run, steps } = await runWith([
      (step) => providerFailure(502, true, step.candidates[0]!.id),
      (step) => providerFailure(502, true, step.candidates[0]!.id),
      () => response('b1'),
    ]);
    expect(steps.map((step) => `${step.role}:${step.group}`)).toEqual(['first:main', 'retry:main', 'fallback:backup']);
    expect(steps[1]!.candidates[0]!.id).not.toBe(steps[0]!.candidates[0]!.id);
    expect(run.trail.map((entry) => [entry.attempt, entry.role, entry.status, entry.outcome])).toEqual([
      [1, 'first', 502, 'upstream_error'],
      [2, 'retry', 502, 'upstream_error'],
      [3, 'fallback', 200, 'ok'],
    ]);
    expect([run.retries, run.fallbacks, run.stopReason]).toEqual([1, 1, null]);
    expect(steps.length).toBeLessThanOrEqual(maxProviderCalls(config.router.reliability));
  });

  it('ingress: a failure whose outcome is unknown ends the request after one call', async () => {
    const { run, steps } = await runWith([() => providerFailure(502, false, 'a1')]);
    expect(steps).toHaveLength(1);
    expect(run.stopReason).toBe('outcome_unknown');
  });

  it('ingress: when everything fails the last failure is returned, within the bound', async () => {
    const { run, steps } = await runWith([() => providerFailure(429), () => providerFailure(429), () => providerFailure(429), () => providerFailure(429)]);
    expect(steps).toHaveLength(3);
    expect([run.result.kind, run.stopReason]).toEqual(['failure', 'exhausted']);
  });
});
