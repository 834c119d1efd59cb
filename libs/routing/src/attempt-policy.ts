import type { Deployment, ReliabilitySettings } from '@switchyard/config';
import { errorKindOf, type FailureKind } from './failure-kind.js';
import { shuffleDeployments, type RandomSource } from './simple-shuffle.js';

/*
 * The one place that decides a request's attempts: which deployments to try
 * first, and after each failure whether to try again in the group (retry),
 * move to another group (fallback) or stop. Pure: the ingress carries the
 * decision out and the limiter admits the first candidate that is not
 * cooling down and has headroom.
 *
 * The promise: another provider call follows only a definite failure (the
 * provider did no work) or, where the operator opted in for the deployment,
 * a timeout. Retries draw from one budget per request and each fallback
 * group is tried once, so a request makes at most
 * 1 + max(retries of any kind) + max_fallbacks provider calls. LiteLLM gives
 * every fallback group its own retries, which multiplies calls; this does not.
 */

/** How an attempt came about. */
export type AttemptRole = 'first' | 'retry' | 'fallback';

/** A failed attempt, as the policy needs to know it. */
export interface FailedAttempt {
  group: string;
  role: AttemptRole;
  /** The deployment that failed; null when none was admitted (the limiter refused or all were cooling down). */
  deploymentId: string | null;
  kind: FailureKind;
  /** The provider certainly did no work (or never got the request). */
  definite: boolean;
  /** The provider's (or limiter's) retry-after, when it gave one. */
  retryAfterSeconds: number | null;
}

export interface PolicyRequest {
  /** The group the client's model resolved to. */
  group: string;
  /** The request's own `fallbacks` list, when the operator allows it; null otherwise. */
  clientFallbacks: readonly string[] | null;
}

export interface PolicyContext {
  settings: ReliabilitySettings;
  /** The deployments of a group (or alias); empty when the name is unknown. */
  deploymentsOf: (group: string) => readonly Deployment[];
  random?: RandomSource;
}

export type NextAttempt =
  | {
      kind: 'attempt';
      role: AttemptRole;
      group: string;
      /** Deployments in preference order; the limiter admits the first it can. */
      candidates: Deployment[];
      /** Wait before sending (backoff when no other deployment is left to try). */
      delayMs: number;
    }
  | { kind: 'stop'; reason: StopReason };

export type StopReason =
  /** The provider may have done the work: never called again. */
  | 'outcome_unknown'
  /** Another attempt would fail the same way (404, the gateway itself down, a bad request without a retry policy). */
  | 'not_retryable'
  /** Retries and fallbacks were configured and are used up (or none was left to try). */
  | 'exhausted';

/** LiteLLM's backoff: 0.5 s doubling, at most 8 s; a provider's retry-after up to 60 s wins. */
const INITIAL_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8_000;
const MAX_RETRY_AFTER_SECONDS = 60;

/** Failures another attempt may cure: the deployment, not the request, was at fault. */
const TRANSIENT: ReadonlySet<FailureKind> = new Set(['rate_limit', 'internal_server', 'connection', 'authentication', 'timeout']);

/** The first attempt: the group's deployments in simple-shuffle order. */
export function firstAttempt(request: PolicyRequest, context: PolicyContext): NextAttempt {
  const deployments = context.deploymentsOf(request.group);
  if (deployments.length === 0) return { kind: 'stop', reason: 'not_retryable' };
  return { kind: 'attempt', role: 'first', group: request.group, candidates: shuffleDeployments(deployments, context.random), delayMs: 0 };
}

/** What to do after the last of `failures` (every failed attempt of this request, in order). */
export function nextAttempt(request: PolicyRequest, failures: readonly FailedAttempt[], context: PolicyContext): NextAttempt {
  const last = failures.at(-1);
  if (!last) return firstAttempt(request, context);
  const { settings } = context;
  if (!last.definite && !(last.kind === 'timeout' && optedIntoTimeoutRetry(last, context))) return { kind: 'stop', reason: 'outcome_unknown' };
  if (last.kind === 'not_found' || last.kind === 'gateway') return { kind: 'stop', reason: 'not_retryable' };

  const fallbackList = fallbacksFor(last.kind, request, settings);
  const retriesSoFar = failures.filter((failure) => failure.role === 'retry').length;
  if (retriesSoFar < retriesAllowed(last.kind, request.group, settings)) {
    const retry = retryIn(last.group, failures, retriesSoFar, last, context);
    if (retry) return retry;
  }
  if (fallbackList === null) return { kind: 'stop', reason: last.kind === 'bad_request' ? 'not_retryable' : 'exhausted' };
  const fallbacksSoFar = failures.filter((failure) => failure.role === 'fallback').length;
  if (fallbacksSoFar >= settings.maxFallbacks) return { kind: 'stop', reason: 'exhausted' };
  const tried = new Set([request.group, ...failures.map((failure) => failure.group)]);
  for (const group of fallbackList) {
    if (tried.has(group)) continue;
    const deployments = context.deploymentsOf(group);
    if (deployments.length === 0) continue;
    return { kind: 'attempt', role: 'fallback', group, candidates: shuffleDeployments(deployments, context.random), delayMs: 0 };
  }
  return { kind: 'stop', reason: 'exhausted' };
}

function optedIntoTimeoutRetry(failure: FailedAttempt, context: PolicyContext): boolean {
  if (failure.deploymentId === null) return false;
  return context.deploymentsOf(failure.group).some((deployment) => deployment.id === failure.deploymentId && deployment.retryOnTimeout);
}

/**
 * Retries a failure of this kind gets: `retry_policy` for its kind, else
 * `num_retries` for failures another deployment may cure. The limiter's own
 * refusals are not retried in the group (it already tried every candidate);
 * a context-window or content-policy error with a fallback for the group
 * goes straight to it, as in LiteLLM.
 */
function retriesAllowed(kind: FailureKind, group: string, settings: ReliabilitySettings): number {
  if (kind === 'limiter_denied' || kind === 'cooling_down') return 0;
  if (kind === 'context_window' && (settings.contextWindowFallbacks[group] ?? settings.contextWindowFallbacks['*'])) return 0;
  if (kind === 'content_policy' && (settings.contentPolicyFallbacks[group] ?? settings.contentPolicyFallbacks['*'])) return 0;
  const errorKind = errorKindOf(kind);
  const fromPolicy = errorKind === null ? undefined : settings.retryPolicy[errorKind];
  if (fromPolicy !== undefined) return fromPolicy;
  return TRANSIENT.has(kind) ? settings.numRetries : 0;
}

function retryIn(group: string, failures: readonly FailedAttempt[], retriesSoFar: number, last: FailedAttempt, context: PolicyContext): NextAttempt | null {
  const deployments = context.deploymentsOf(group);
  if (deployments.length === 0) return null;
  const failed = new Set(failures.filter((failure) => failure.group === group).map((failure) => failure.deploymentId));
  const order = shuffleDeployments(deployments, context.random);
  // Untried deployments first; one that failed is only tried again when nothing else is left.
  const fresh = order.filter((deployment) => !failed.has(deployment.id));
  const candidates = [...fresh, ...order.filter((deployment) => failed.has(deployment.id))];
  const delayMs = fresh.length > 0 ? 0 : backoffMs(retriesSoFar, last.retryAfterSeconds, context.settings.retryAfterMs);
  return { kind: 'attempt', role: 'retry', group, candidates, delayMs };
}

/** LiteLLM's `_calculate_retry_after` without the jitter: the provider's retry-after, else exponential; at least `retry_after`. */
export function backoffMs(retriesSoFar: number, retryAfterSeconds: number | null, minimumMs: number): number {
  const fromProvider =
    retryAfterSeconds !== null && retryAfterSeconds > 0 && retryAfterSeconds <= MAX_RETRY_AFTER_SECONDS ? retryAfterSeconds * 1000 : null;
  const exponential = Math.min(INITIAL_BACKOFF_MS * 2 ** retriesSoFar, MAX_BACKOFF_MS);
  return Math.max(fromProvider ?? exponential, minimumMs);
}

/**
 * The fallback groups for a failure of this kind, or null when it gets none:
 * a context-window or content-policy error uses its own list when the group
 * has one, else the generic one; a bad request none (every model would
 * refuse it). The generic list is the client's (when allowed), else the
 * group's `fallbacks` entry, else the `*` entry, else `default_fallbacks`.
 */
export function fallbacksFor(kind: FailureKind, request: PolicyRequest, settings: ReliabilitySettings): readonly string[] | null {
  if (kind === 'bad_request' || kind === 'not_found' || kind === 'gateway') return null;
  const specific =
    kind === 'context_window'
      ? (settings.contextWindowFallbacks[request.group] ?? settings.contextWindowFallbacks['*'])
      : kind === 'content_policy'
        ? (settings.contentPolicyFallbacks[request.group] ?? settings.contentPolicyFallbacks['*'])
        : undefined;
  if (specific) return specific;
  const generic =
    request.clientFallbacks ?? settings.fallbacks[request.group] ?? settings.fallbacks['*'] ?? (settings.defaultFallbacks.length > 0 ? settings.defaultFallbacks : null);
  return generic && generic.length > 0 ? generic : null;
}

/** The most provider calls one request can make under these settings: the bound the tests prove. */
export function maxProviderCalls(settings: ReliabilitySettings): number {
  const retries = Math.max(settings.numRetries, ...Object.values(settings.retryPolicy));
  return 1 + retries + settings.maxFallbacks;
}
