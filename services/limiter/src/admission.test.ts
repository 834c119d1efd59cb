import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '@switchyard/config';
import { MASTER_CALLER, type CallEnvelope } from '@switchyard/contracts';
import { admit, refusalOf, tokensToReserve } from './admission.js';
import type { ClusterLimiter } from './cluster-limiter.js';
import { salvageSettlements, settledTokens } from './settlement.js';

const config = parseGatewayConfig(
  `model_list:
  - model_name: a
    litellm_params: { model: mock/a, tpm: 1000 }
  - model_name: b
    litellm_params: { model: mock/b, tpm: 1000, max_tokens: 64 }
general_settings:
  completion_tokens_estimate: 100
`,
  { source: '<test>', env: {} },
);
const [a, b] = config.deployments as [(typeof config.deployments)[0], (typeof config.deployments)[0]];

function envelope(overrides: Partial<CallEnvelope>): CallEnvelope {
  return {
    v: 1,
    requestId: 'r',
    clientRequestId: null,
    endpoint: 'chat.completions',
    requestedModel: 'a',
    modelGroup: 'a',
    deploymentId: a.id,
    candidates: [a.id],
    attempt: 1,
    stream: false,
    clientWantsUsage: false,
    estimatedPromptTokens: 20,
    maxCompletionTokens: null,
    choices: 1,
    timeoutMs: 1000,
    callerId: null,
    caller: MASTER_CALLER,
    tags: { endUser: null, metadata: null },
    bodyRef: null,
    reservation: null,
    admissionHeaders: {},
    ...overrides,
  };
}

describe('limiter: what a request reserves', () => {
  it.each([
    { case: "the client's max_tokens", env: { maxCompletionTokens: 30 }, deployment: b, tokens: 50 },
    { case: "the deployment's default max_tokens", env: {}, deployment: b, tokens: 84 },
    { case: 'the configured completion estimate', env: {}, deployment: a, tokens: 120 },
    { case: 'no completion for embeddings', env: { endpoint: 'embeddings' as const }, deployment: a, tokens: 20 },
    { case: 'a completion per choice (n: 10)', env: { maxCompletionTokens: 30, choices: 10 }, deployment: b, tokens: 320 },
    { case: "the default per choice when there is no client bound", env: { choices: 4 }, deployment: b, tokens: 20 + 4 * 64 },
  ])('prompt estimate plus $case', ({ env, deployment, tokens }) => {
    expect(tokensToReserve(envelope(env), deployment, config)).toBe(tokens);
  });
});

describe('limiter: requests a deployment can never serve are refused with a 400', () => {
  const bounded = parseGatewayConfig(
    `model_list:
  - model_name: c
    litellm_params: { model: mock/c, tpm: 2000 }
    model_info: { max_output_tokens: 4096, max_input_tokens: 8000 }
`,
    { source: '<test>', env: {} },
  ).deployments[0]!;
  it.each([
    { case: 'max_tokens beyond the model', env: { maxCompletionTokens: 5000 }, param: 'max_tokens', code: 'invalid_value' },
    { case: 'a prompt beyond the context', env: { estimatedPromptTokens: 9000 }, param: 'messages', code: 'context_length_exceeded' },
    { case: 'more than the whole tpm', env: { maxCompletionTokens: 1000, choices: 3 }, param: 'n', code: 'tokens_exceed_limit' },
  ])('$case', ({ env, param, code }) => {
    const refusal = refusalOf(envelope(env), bounded, config);
    expect(refusal).toMatchObject({ status: 400, param, code });
  });
  it('a request that fits is not refused', () => {
    expect(refusalOf(envelope({ maxCompletionTokens: 1000 }), bounded, config)).toBeNull();
  });
});

describe('limiter: what a finished call settles to', () => {
  const reservation = { id: 'x', deploymentId: a.id, scopes: ['dep:a'], tokens: 120, bucket: 1, expiresAt: 2 };
  const event = {
    eventId: 'e',
    requestId: 'r',
    attempt: 1,
    endpoint: 'chat.completions' as const,
    modelGroup: 'a',
    deploymentId: a.id,
    provider: 'mock',
    providerModel: 'a',
    stream: false,
    status: 200,
    latencyMs: 1,
    finishedAt: '',
    reservation,
  };
  it.each([
    { case: 'reported usage', outcome: 'ok' as const, usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 }, tokens: 10 },
    { case: 'nothing after a provider error', outcome: 'provider_error' as const, usage: null, tokens: 0 },
    { case: 'nothing when the connection was refused', outcome: 'connection_error' as const, usage: null, tokens: 0 },
    { case: 'the reservation when a timeout leaves it unknown', outcome: 'timeout' as const, usage: null, tokens: 120 },
    { case: 'nothing when the provider was never called', outcome: 'invalid_response' as const, usage: null, tokens: 0, providerCalled: false },
  ])('$case', ({ outcome, usage, tokens, ...rest }) => {
    expect(settledTokens({ ...event, outcome, usage, ...rest })).toBe(tokens);
  });
});

describe('limiter: a call-completed message that does not parse still releases its reservations', () => {
  it('settles each readable reservation, to its usage when that is a safe integer, else to nothing', () => {
    const reservation = { id: 'x', deploymentId: 'd', scopes: ['dep:d'], tokens: 2 ** 60, bucket: 1, expiresAt: 2 };
    const salvaged = salvageSettlements({
      events: [
        { reservation, usage: { total_tokens: 42 }, outcome: 'not an outcome' },
        { reservation: { ...reservation, id: 'y' }, usage: { total_tokens: 2 ** 60 } },
        { reservation: { id: 7 } },
        'garbage',
      ],
    });
    expect(salvaged.map((item) => [item.reservation.id, item.tokens])).toEqual([
      ['x', 42],
      ['y', 0],
    ]);
    expect(salvageSettlements(null)).toEqual([]);
  });
});

describe('limiter: candidates cooling down are skipped in the same hop', () => {
  const pool = parseGatewayConfig(
    `model_list:
  - { model_name: p, litellm_params: { model: mock/p1 }, model_info: { id: p1 } }
  - { model_name: p, litellm_params: { model: mock/p2 }, model_info: { id: p2 } }
router_settings: { cooldown_time: 7 }
`,
    { source: '<test>', env: {} },
  );
  const deployments = new Map(pool.deployments.map((deployment) => [deployment.id, deployment]));
  // Unlimited deployments: admission needs no counters, so no Redis here.
  const noCounters = {} as ClusterLimiter;
  const decision = envelope({ modelGroup: 'p', requestedModel: 'p', deploymentId: 'p1', candidates: ['p1', 'p2'] });

  it('limiter: the first candidate that is not cooling down is admitted', async () => {
    const admission = await admit(decision, pool, deployments, noCounters, new Set(['p1']));
    expect(admission.kind === 'admitted' && admission.envelope.deploymentId).toBe('p2');
    const none = await admit(decision, pool, deployments, noCounters, new Set());
    expect(none.kind === 'admitted' && none.envelope.deploymentId).toBe('p1');
  });

  it('limiter: when every candidate cools down the answer is a 429 deployments_cooling_down, retry after the cooldown', async () => {
    const admission = await admit(decision, pool, deployments, noCounters, new Set(['p1', 'p2']));
    expect(admission.kind).toBe('denied');
    if (admission.kind !== 'denied') return;
    expect([admission.error.status, admission.error.code, admission.error.retryAfterSeconds]).toEqual([429, 'deployments_cooling_down', 7]);
    expect(admission.headers['retry-after']).toBe('7');
  });
});
