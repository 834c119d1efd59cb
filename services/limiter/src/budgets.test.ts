import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '@switchyard/config';
import { MASTER_CALLER, type CallCompleted, type CallEnvelope, type Caller } from '@switchyard/contracts';
import { tokensToReserve } from './admission.js';
import { budgetChargesOf, budgetExceeded, settledCost, worstCaseCostOf } from './budgets.js';

const config = parseGatewayConfig(
  `model_list:
  - model_name: priced
    litellm_params: { model: openai/gpt-4o-mini, api_key: sk-x, input_cost_per_token: 0.000001, output_cost_per_token: 0.000004 }
  - model_name: free
    litellm_params: { model: hosted_vllm/llama, api_base: "http://127.0.0.1:1/v1" }
general_settings:
  completion_tokens_estimate: 100
`,
  { source: '<test>', env: {} },
);
const [priced, free] = config.deployments as [(typeof config.deployments)[0], (typeof config.deployments)[0]];

const caller: Caller = {
  ...MASTER_CALLER,
  keyHash: 'a'.repeat(64),
  keyAlias: 'ci-key',
  teamId: 'team-1',
  teamAlias: 'Platform',
  budgets: [
    { scope: `key:${'a'.repeat(64)}`, maxBudget: 1, durationMs: 60_000, periodAnchorMs: 0 },
    { scope: 'team:team-1', maxBudget: 10, durationMs: null, periodAnchorMs: 0 },
  ],
};

function envelope(overrides: Partial<CallEnvelope>): CallEnvelope {
  return {
    v: 1,
    requestId: 'r',
    clientRequestId: null,
    endpoint: 'chat.completions',
    requestedModel: 'priced',
    modelGroup: 'priced',
    deploymentId: priced.id,
    candidates: [priced.id],
    attempt: 1,
    stream: false,
    clientWantsUsage: false,
    estimatedPromptTokens: 200,
    maxCompletionTokens: 50,
    choices: 3,
    timeoutMs: 1000,
    callerId: null,
    caller,
    tags: { endUser: null, metadata: null },
    bodyRef: null,
    reservation: null,
    admissionHeaders: {},
    ...overrides,
  };
}

describe('limiter: budgets', () => {
  it('limiter: the worst-case cost prices the prompt estimate and every choice\'s completion bound', () => {
    const env = envelope({});
    const tokens = tokensToReserve(env, priced, config);
    expect(tokens).toBe(200 + 3 * 50);
    expect(worstCaseCostOf(env, priced, tokens)).toBeCloseTo(200 * 0.000001 + 150 * 0.000004, 12);
  });

  it('limiter: an unpriced deployment reserves no cost', () => {
    const env = envelope({ deploymentId: free.id });
    expect(worstCaseCostOf(env, free, tokensToReserve(env, free, config))).toBe(0);
  });

  it('limiter: charges every budget of the caller', () => {
    expect(budgetChargesOf(caller).map((charge) => charge.scope)).toEqual([`key:${'a'.repeat(64)}`, 'team:team-1']);
    expect(budgetChargesOf(MASTER_CALLER)).toEqual([]);
  });

  it('limiter: settles to the real cost, to nothing without a provider call, to the reservation when unknown', () => {
    const base = { reservation: { id: 'x', deploymentId: priced.id, scopes: ['dep:x'], tokens: 1, bucket: 1, expiresAt: 1, cost: 0.5 } };
    expect(settledCost({ ...base, providerCalled: true, cost: 0.1, usage: null, outcome: 'ok' } as unknown as CallCompleted)).toBe(0.1);
    expect(settledCost({ ...base, providerCalled: false, cost: null, usage: null, outcome: 'cancelled' } as unknown as CallCompleted)).toBe(0);
    expect(settledCost({ ...base, providerCalled: true, cost: null, usage: null, outcome: 'connection_error' } as unknown as CallCompleted)).toBe(0);
    expect(settledCost({ ...base, providerCalled: true, cost: null, usage: null, outcome: 'timeout' } as unknown as CallCompleted)).toBe(0.5);
  });

  it('limiter: budget errors have LiteLLM\'s shape', () => {
    const [key, team] = budgetChargesOf(caller) as [ReturnType<typeof budgetChargesOf>[0], ReturnType<typeof budgetChargesOf>[0]];
    const error = budgetExceeded(key, caller, 1.2, 0.01, 30_500);
    expect(error.status).toBe(429);
    expect(error.toBody()).toEqual({
      error: { message: 'Budget has been exceeded! Key=ci-key Current cost: 1.2, Max budget: 1', type: 'budget_exceeded', param: null, code: '429' },
    });
    expect(error.retryAfterSeconds).toBe(31);
    const teamError = budgetExceeded(team, caller, 9.99, 0.5, null);
    expect(teamError.message).toMatch(/^Budget has been exceeded! Team=Platform Current cost: 9.99, Max budget: 10\. This request may cost up to 0.5/);
    expect(teamError.retryAfterSeconds).toBeUndefined();
  });
});
