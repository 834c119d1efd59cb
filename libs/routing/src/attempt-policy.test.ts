import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_FAILS, DEFAULT_COOLDOWN_TIME_MS, type Deployment, type ReliabilitySettings } from '@switchyard/config';
import { backoffMs, fallbacksFor, firstAttempt, maxProviderCalls, nextAttempt, type FailedAttempt, type NextAttempt, type PolicyRequest } from './attempt-policy.js';
import { admissionOrder, cooldownRuleFor } from './cooldown-policy.js';
import { failureKindOf, type FailureKind } from './failure-kind.js';
import { seededRandom } from './simple-shuffle.js';

function deployment(id: string, group: string, extra: Partial<Deployment> = {}): Deployment {
  return { id, modelName: group, retryOnTimeout: false, cooldownTimeMs: null, weight: null, rpm: null, tpm: null, ...extra } as Deployment;
}

const GROUPS: Record<string, Deployment[]> = {
  gpt4: [deployment('gpt4-a', 'gpt4'), deployment('gpt4-b', 'gpt4', { retryOnTimeout: true })],
  mini: [deployment('mini-a', 'mini')],
  long: [deployment('long-a', 'long')],
  other: [deployment('other-a', 'other')],
};

function settings(overrides: Partial<ReliabilitySettings> = {}): ReliabilitySettings {
  return {
    numRetries: 0,
    retryAfterMs: 0,
    retryPolicy: {},
    fallbacks: {},
    contextWindowFallbacks: {},
    contentPolicyFallbacks: {},
    defaultFallbacks: [],
    maxFallbacks: 5,
    allowClientFallbacks: false,
    allowedFails: DEFAULT_ALLOWED_FAILS,
    allowedFailsPolicy: {},
    cooldownTimeMs: DEFAULT_COOLDOWN_TIME_MS,
    disableCooldowns: false,
    ...overrides,
  };
}

const request: PolicyRequest = { group: 'gpt4', clientFallbacks: null };

function context(overrides: Partial<ReliabilitySettings> = {}) {
  return { settings: settings(overrides), deploymentsOf: (group: string) => GROUPS[group] ?? [], random: seededRandom(7) };
}

function failed(kind: FailureKind, extra: Partial<FailedAttempt> = {}): FailedAttempt {
  return { group: 'gpt4', role: 'first', deploymentId: 'gpt4-a', kind, definite: true, retryAfterSeconds: null, ...extra };
}

function describeNext(next: NextAttempt): string {
  return next.kind === 'stop' ? `stop:${next.reason}` : `${next.role}:${next.group}:${next.candidates.map((d) => d.id).join(',')}`;
}

/** Runs the policy as the ingress does, every attempt failing with `kind`, and counts the attempts. */
function attemptsUntilStop(kind: FailureKind, overrides: Partial<ReliabilitySettings>, req: PolicyRequest = request): string[] {
  const ctx = context(overrides);
  const failures: FailedAttempt[] = [];
  const seen: string[] = [];
  let next = firstAttempt(req, ctx);
  while (next.kind === 'attempt') {
    seen.push(`${next.role}:${next.group}`);
    failures.push(failed(kind, { group: next.group, role: next.role, deploymentId: next.candidates[0]!.id }));
    next = nextAttempt(req, failures, ctx);
  }
  return seen;
}

describe('routing: attempt policy', () => {
  it('routing: without retries or fallbacks a failure is final (one attempt)', () => {
    expect(attemptsUntilStop('internal_server', {})).toEqual(['first:gpt4']);
    expect(describeNext(nextAttempt(request, [failed('internal_server')], context()))).toBe('stop:exhausted');
  });

  it('routing: num_retries retries in the group, untried deployments first, then stops', () => {
    const next = nextAttempt(request, [failed('rate_limit')], context({ numRetries: 2 }));
    expect(describeNext(next)).toBe('retry:gpt4:gpt4-b,gpt4-a');
    expect(next.kind === 'attempt' && next.delayMs).toBe(0);
    expect(attemptsUntilStop('rate_limit', { numRetries: 2 })).toEqual(['first:gpt4', 'retry:gpt4', 'retry:gpt4']);
  });

  it('routing: a failure whose outcome is unknown is never retried nor falls back', () => {
    const ctx = context({ numRetries: 3, fallbacks: { gpt4: ['mini'] } });
    expect(describeNext(nextAttempt(request, [failed('internal_server', { definite: false })], ctx))).toBe('stop:outcome_unknown');
    expect(describeNext(nextAttempt(request, [failed('timeout', { definite: false })], ctx))).toBe('stop:outcome_unknown');
  });

  it('routing: a timeout is retried only from a deployment whose operator set retry_on_timeout', () => {
    const ctx = context({ numRetries: 1 });
    const optedIn = failed('timeout', { definite: false, deploymentId: 'gpt4-b' });
    expect(describeNext(nextAttempt(request, [optedIn], ctx))).toBe('retry:gpt4:gpt4-a,gpt4-b');
  });

  it('routing: retry_policy sets retries per error kind, over num_retries', () => {
    expect(attemptsUntilStop('rate_limit', { numRetries: 1, retryPolicy: { RateLimitError: 3 } })).toHaveLength(4);
    expect(attemptsUntilStop('authentication', { numRetries: 2, retryPolicy: { AuthenticationError: 0 } })).toHaveLength(1);
    expect(attemptsUntilStop('internal_server', { retryPolicy: { InternalServerError: 2 } })).toHaveLength(3);
    expect(attemptsUntilStop('connection', { retryPolicy: { InternalServerError: 1 } })).toHaveLength(2);
    expect(attemptsUntilStop('content_policy', { numRetries: 3, retryPolicy: { ContentPolicyViolationError: 1 } })).toHaveLength(2);
    expect(attemptsUntilStop('timeout', { retryPolicy: { TimeoutError: 1 } })).toHaveLength(2);
  });

  it('routing: a bad request is not retried unless BadRequestErrorRetries asks, and never falls back', () => {
    expect(attemptsUntilStop('bad_request', { numRetries: 3, fallbacks: { gpt4: ['mini'] } })).toEqual(['first:gpt4']);
    expect(attemptsUntilStop('bad_request', { retryPolicy: { BadRequestError: 1 }, fallbacks: { gpt4: ['mini'] } })).toEqual(['first:gpt4', 'retry:gpt4']);
  });

  it('routing: 404 and a gateway outage stop at once', () => {
    for (const kind of ['not_found', 'gateway'] as const) {
      expect(attemptsUntilStop(kind, { numRetries: 3, fallbacks: { gpt4: ['mini'] } })).toEqual(['first:gpt4']);
    }
  });

  it('routing: fallbacks come after the group\'s retries, each group once, in order', () => {
    expect(attemptsUntilStop('internal_server', { numRetries: 1, fallbacks: { gpt4: ['mini', 'other'] } })).toEqual([
      'first:gpt4',
      'retry:gpt4',
      'fallback:mini',
      'fallback:other',
    ]);
  });

  it('routing: retries are one budget per request, so calls add up instead of multiplying', () => {
    const overrides = { numRetries: 2, fallbacks: { gpt4: ['mini', 'other'] } };
    const seen = attemptsUntilStop('rate_limit', overrides);
    expect(seen).toEqual(['first:gpt4', 'retry:gpt4', 'retry:gpt4', 'fallback:mini', 'fallback:other']);
    expect(seen.length).toBeLessThanOrEqual(maxProviderCalls(settings(overrides)));
  });

  it('routing: max_fallbacks bounds the fallback groups tried', () => {
    expect(attemptsUntilStop('internal_server', { maxFallbacks: 1, fallbacks: { gpt4: ['mini', 'other'] } })).toEqual(['first:gpt4', 'fallback:mini']);
    expect(attemptsUntilStop('internal_server', { maxFallbacks: 0, fallbacks: { gpt4: ['mini'] } })).toEqual(['first:gpt4']);
  });

  it('routing: the limiter\'s refusal and an all-cooling group skip retries and go to the fallback', () => {
    for (const kind of ['limiter_denied', 'cooling_down'] as const) {
      expect(attemptsUntilStop(kind, { numRetries: 3, fallbacks: { gpt4: ['mini'] } })).toEqual(['first:gpt4', 'fallback:mini']);
    }
  });

  it('routing: context_window_fallbacks and content_policy_fallbacks serve their kind, without retries first', () => {
    const overrides = {
      numRetries: 2,
      fallbacks: { gpt4: ['mini'] },
      contextWindowFallbacks: { gpt4: ['long'] },
      contentPolicyFallbacks: { gpt4: ['other'] },
    };
    expect(attemptsUntilStop('context_window', overrides)).toEqual(['first:gpt4', 'fallback:long']);
    expect(attemptsUntilStop('content_policy', overrides)).toEqual(['first:gpt4', 'fallback:other']);
    // Without its own list, a context-window error uses the generic one.
    expect(attemptsUntilStop('context_window', { fallbacks: { gpt4: ['mini'] } })).toEqual(['first:gpt4', 'fallback:mini']);
  });

  it('routing: the generic list is the client\'s, else the group\'s, else *, else default_fallbacks', () => {
    const all = settings({ fallbacks: { gpt4: ['mini'], '*': ['other'] }, defaultFallbacks: ['long'] });
    expect(fallbacksFor('rate_limit', { group: 'gpt4', clientFallbacks: ['long'] }, all)).toEqual(['long']);
    expect(fallbacksFor('rate_limit', request, all)).toEqual(['mini']);
    expect(fallbacksFor('rate_limit', { group: 'mini', clientFallbacks: null }, all)).toEqual(['other']);
    expect(fallbacksFor('rate_limit', { group: 'mini', clientFallbacks: null }, settings({ defaultFallbacks: ['long'] }))).toEqual(['long']);
    expect(fallbacksFor('rate_limit', request, settings())).toBeNull();
  });

  it('routing: a fallback group is not tried twice, nor the request\'s own group', () => {
    expect(attemptsUntilStop('internal_server', { fallbacks: { gpt4: ['gpt4', 'mini', 'mini'] } })).toEqual(['first:gpt4', 'fallback:mini']);
  });

  it('routing: backoff is 0 while another deployment is left, else retry-after (<= 60 s) or exponential, at least retry_after', () => {
    const ctx = context({ numRetries: 3, retryAfterMs: 200 });
    const bothFailed = [failed('rate_limit'), failed('rate_limit', { role: 'retry', deploymentId: 'gpt4-b', retryAfterSeconds: 2 })];
    const next = nextAttempt(request, bothFailed, ctx);
    expect(next.kind === 'attempt' && next.delayMs).toBe(2_000);
    expect(backoffMs(0, null, 0)).toBe(500);
    expect(backoffMs(3, null, 0)).toBe(4_000);
    expect(backoffMs(10, null, 0)).toBe(8_000);
    expect(backoffMs(0, 600, 0)).toBe(500);
    expect(backoffMs(0, null, 1_500)).toBe(1_500);
  });

  it('routing: the bound is 1 + the largest retry count + max_fallbacks', () => {
    expect(maxProviderCalls(settings({ numRetries: 1, retryPolicy: { RateLimitError: 4 }, maxFallbacks: 2 }))).toBe(7);
    expect(maxProviderCalls(settings())).toBe(6);
  });
});

describe('routing: failure kinds', () => {
  it.each([
    [{ status: 400, code: 'context_length_exceeded', providerCalled: false }, 'context_window'],
    [{ status: 400, code: 'content_policy_violation', providerCalled: true }, 'content_policy'],
    [{ status: 400, code: 'content_filter', providerCalled: true }, 'content_policy'],
    [{ status: 429, code: 'deployments_cooling_down', providerCalled: false }, 'cooling_down'],
    [{ status: 429, code: 'rate_limit_exceeded', providerCalled: false }, 'limiter_denied'],
    [{ status: 429, code: null, providerCalled: true }, 'rate_limit'],
    [{ status: 504, code: 'upstream_timeout', providerCalled: true }, 'timeout'],
    [{ status: 502, code: 'upstream_auth_failed', providerCalled: true }, 'authentication'],
    [{ status: 502, code: 'upstream_unreachable', providerCalled: true }, 'connection'],
    [{ status: 404, code: null, providerCalled: true }, 'not_found'],
    [{ status: 422, code: null, providerCalled: true }, 'bad_request'],
    [{ status: 503, code: 'no_limiter', providerCalled: false }, 'gateway'],
    [{ status: 502, code: 'upstream_error', providerCalled: true }, 'internal_server'],
  ] as const)('routing: %j is %s', (facts, kind) => {
    expect(failureKindOf(facts)).toBe(kind);
  });
});

describe('routing: cooldown policy', () => {
  const dep = deployment('gpt4-a', 'gpt4');
  it('routing: deployment failures count, request failures do not, nor anything with cooldowns disabled', () => {
    expect(cooldownRuleFor('internal_server', dep, settings())).toEqual({ allowedFails: 3, cooldownMs: 5_000, windowMs: 60_000 });
    expect(cooldownRuleFor('bad_request', dep, settings())).toBeNull();
    expect(cooldownRuleFor('context_window', dep, settings())).toBeNull();
    expect(cooldownRuleFor('limiter_denied', dep, settings())).toBeNull();
    expect(cooldownRuleFor('rate_limit', dep, settings({ disableCooldowns: true }))).toBeNull();
  });

  it('routing: allowed_fails_policy per kind and per-deployment cooldown_time win', () => {
    const rule = cooldownRuleFor('rate_limit', deployment('x', 'g', { cooldownTimeMs: 30_000 }), settings({ allowedFails: 1, allowedFailsPolicy: { RateLimitError: 10 } }));
    expect(rule).toEqual({ allowedFails: 10, cooldownMs: 30_000, windowMs: 60_000 });
    expect(cooldownRuleFor('timeout', dep, settings({ allowedFails: 1, allowedFailsPolicy: { RateLimitError: 10 } }))?.allowedFails).toBe(1);
  });

  it('routing: the limiter skips cooling candidates and keeps the order', () => {
    expect(admissionOrder(['a', 'b', 'c'], new Set(['b']))).toEqual({ order: ['a', 'c'], skipped: ['b'] });
    expect(admissionOrder(['a'], new Set(['a']))).toEqual({ order: [], skipped: ['a'] });
  });
});
