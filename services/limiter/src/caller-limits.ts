import { Errors, type CallEnvelope, type GatewayError } from '@switchyard/contracts';
import type { LimitScope, ScopeRemaining } from './cluster-limiter.js';

/** The key's and team's limits of the caller: limiter scopes counted with the deployment's, atomically. */
export function callerScopes(envelope: CallEnvelope): LimitScope[] {
  // Envelopes of older ingresses carry no caller.
  return (envelope.caller?.limits ?? []).map((limit) => ({ name: limit.scope, rpm: limit.rpm, tpm: limit.tpm, maxParallel: limit.maxParallel }));
}

export function isCallerScope(name: string): boolean {
  return name.startsWith('key:') || name.startsWith('team:');
}

/** LiteLLM's descriptor of a scope in its headers and messages: `api_key` (the hash) or `team` (the id). */
function descriptorOf(scope: string): { key: string; value: string } {
  return scope.startsWith('key:') ? { key: 'api_key', value: scope.slice(4) } : { key: 'team', value: scope.slice(scope.indexOf(':') + 1) };
}

/**
 * LiteLLM's per-key and per-team headers: `x-ratelimit-api_key-remaining-requests`,
 * `x-ratelimit-team-limit-tokens`, ... for the limits that exist.
 */
export function callerRateLimitHeaders(scopes: readonly LimitScope[], remaining: readonly ScopeRemaining[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const scope of scopes) {
    const left = remaining?.find((entry) => entry.scope === scope.name);
    if (!left) continue;
    const prefix = `x-ratelimit-${descriptorOf(scope.name).key}`;
    if (scope.rpm !== null && left.requests !== null) {
      headers[`${prefix}-limit-requests`] = String(scope.rpm);
      headers[`${prefix}-remaining-requests`] = String(left.requests);
    }
    if (scope.tpm !== null && left.tokens !== null) {
      headers[`${prefix}-limit-tokens`] = String(scope.tpm);
      headers[`${prefix}-remaining-tokens`] = String(left.tokens);
    }
  }
  return headers;
}

const LIMIT_TYPE = { rpm: 'requests', tpm: 'tokens', parallel: 'max_parallel_requests' } as const;

/** The 429 of a key's or team's own limit, in LiteLLM's words; retrying another deployment cannot help. */
export function callerDenial(scope: LimitScope, reason: 'rpm' | 'tpm' | 'parallel', retryAfterSeconds: number, now = Date.now()): GatewayError {
  const { key, value } = descriptorOf(scope.name);
  const limit = reason === 'rpm' ? scope.rpm : reason === 'tpm' ? scope.tpm : scope.maxParallel;
  const resetsAt = new Date(now + retryAfterSeconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return Errors.rateLimited(
    `Rate limit exceeded for ${key}: ${value}. Limit type: ${LIMIT_TYPE[reason]}. Current limit: ${limit ?? 'none'}, Remaining: 0. Limit resets at: ${resetsAt}`,
    retryAfterSeconds,
  );
}

export function limitTypeOf(reason: 'rpm' | 'tpm' | 'parallel'): string {
  return LIMIT_TYPE[reason];
}
