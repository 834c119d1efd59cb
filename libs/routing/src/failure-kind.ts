import type { ErrorKind } from '@switchyard/config';

/**
 * What went wrong in one attempt, as the attempt policy reads it. LiteLLM's
 * exception classes, plus what only a gateway with a limiter sees (the
 * limiter's own refusal, every candidate cooling down, the bus or a service
 * being gone).
 */
export type FailureKind =
  | 'bad_request'
  | 'not_found'
  | 'authentication'
  | 'timeout'
  | 'rate_limit'
  | 'context_window'
  | 'content_policy'
  | 'internal_server'
  | 'connection'
  /** The limiter refused: every candidate of the group is at its limit. No provider was called. */
  | 'limiter_denied'
  /** Every candidate of the group is cooling down. No provider was called. */
  | 'cooling_down'
  /** The gateway itself could not route it (bus down, no limiter or upstream-caller). */
  | 'gateway';

/** The error code of the limiter's answer when every candidate is cooling down. */
export const COOLING_DOWN_CODE = 'deployments_cooling_down';

/** What the services know of a failed attempt. */
export interface FailureFacts {
  status: number;
  /** The OpenAI-shaped error's `code`. */
  code: string | null;
  providerCalled: boolean;
}

const CONTENT_POLICY_CODES = new Set(['content_policy_violation', 'content_filter', 'content_policy_violation_error']);

export function failureKindOf(facts: FailureFacts): FailureKind {
  const { status, code, providerCalled } = facts;
  if (code === 'context_length_exceeded') return 'context_window';
  if (code !== null && CONTENT_POLICY_CODES.has(code)) return 'content_policy';
  if (code === COOLING_DOWN_CODE) return 'cooling_down';
  if (status === 429 && !providerCalled) return 'limiter_denied';
  if (code === 'upstream_timeout') return 'timeout';
  if (code === 'upstream_auth_failed') return 'authentication';
  if (code === 'upstream_unreachable') return 'connection';
  if (status === 429) return 'rate_limit';
  if (status === 408) return 'timeout';
  if (status === 401 || status === 403) return 'authentication';
  if (status === 404) return 'not_found';
  if (status >= 400 && status < 500) return 'bad_request';
  if (!providerCalled) return 'gateway';
  return 'internal_server';
}

/**
 * The `retry_policy` / `allowed_fails_policy` entry of a kind, by LiteLLM's
 * exception hierarchy (ContextWindowExceededError is a BadRequestError, a
 * connection error counts as a server error); null for kinds those policies
 * do not name.
 */
export function errorKindOf(kind: FailureKind): ErrorKind | null {
  switch (kind) {
    case 'bad_request':
    case 'context_window':
      return 'BadRequestError';
    case 'authentication':
      return 'AuthenticationError';
    case 'timeout':
      return 'TimeoutError';
    case 'rate_limit':
      return 'RateLimitError';
    case 'content_policy':
      return 'ContentPolicyViolationError';
    case 'internal_server':
    case 'connection':
      return 'InternalServerError';
    default:
      return null;
  }
}

/**
 * Whether a failure counts toward a deployment's cooldown (LiteLLM's
 * `_is_cooldown_required`): 429, 401/403, 404, 408, 5xx, timeouts and
 * refused connections say the deployment is unwell; a bad request, a
 * context-window or content-policy error says the request is.
 */
export function countsTowardCooldown(kind: FailureKind): boolean {
  return kind === 'rate_limit' || kind === 'authentication' || kind === 'not_found' || kind === 'timeout' || kind === 'internal_server' || kind === 'connection';
}

/**
 * The kind of a finished call's failure from its call-completed event (which
 * carries the status the client got and the outcome, not the error code);
 * null for calls that did not fail or whose failure says nothing of the
 * deployment (cancelled by the client, an unreadable 2xx).
 */
export function failureKindOfCall(call: { outcome: string; status: number }): FailureKind | null {
  switch (call.outcome) {
    case 'timeout':
      return 'timeout';
    case 'connection_error':
      return 'connection';
    case 'provider_error':
      return failureKindOf({ status: call.status, code: null, providerCalled: true });
    default:
      return null;
  }
}
