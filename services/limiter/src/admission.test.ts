import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '@switchyard/config';
import type { CallEnvelope } from '@switchyard/contracts';
import { tokensToReserve } from './admission.js';
import { settledTokens } from './settlement.js';

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
    timeoutMs: 1000,
    callerId: null,
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
  ])('prompt estimate plus $case', ({ env, deployment, tokens }) => {
    expect(tokensToReserve(envelope(env), deployment, config)).toBe(tokens);
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
  ])('$case', ({ outcome, usage, tokens }) => {
    expect(settledTokens({ ...event, outcome, usage })).toBe(tokens);
  });
});
