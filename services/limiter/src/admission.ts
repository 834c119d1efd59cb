import { randomUUID } from 'node:crypto';
import { Errors, type CallEnvelope, type GatewayError } from '@switchyard/contracts';
import type { Deployment, GatewayConfig } from '@switchyard/config';
import type { ClusterLimiter, LimitScope } from './cluster-limiter.js';
import { rateLimitHeaders } from './ratelimit-headers.js';

/** Time a reservation outlives its call's own timeout before it frees itself. */
const LEASE_GRACE_MS = 30_000;

export type Admission =
  | { kind: 'admitted'; envelope: CallEnvelope }
  | { kind: 'denied'; error: GatewayError; headers: Record<string, string>; deploymentId: string }
  | { kind: 'unavailable'; cause: unknown };

export function deploymentScope(deployment: Deployment): LimitScope {
  return { name: `dep:${deployment.id}`, rpm: deployment.rpm, tpm: deployment.tpm, maxParallel: deployment.maxParallelRequests };
}

function isLimited(scope: LimitScope): boolean {
  return scope.rpm !== null || scope.tpm !== null || scope.maxParallel !== null;
}

/**
 * Tokens reserved before the call: the prompt estimate plus what the
 * completion may use (the client's max_tokens, else the deployment's default
 * max_tokens, else the configured completion estimate).
 */
export function tokensToReserve(envelope: CallEnvelope, deployment: Deployment, config: GatewayConfig): number {
  const deploymentMax = deployment.defaultParams.max_tokens;
  const completion =
    envelope.endpoint === 'embeddings'
      ? 0
      : (envelope.maxCompletionTokens ?? (typeof deploymentMax === 'number' ? deploymentMax : config.general.completionTokensEstimate));
  return envelope.estimatedPromptTokens + completion;
}

/**
 * Admits a routing decision against the cluster-wide limits of the chosen
 * deployment, falling back to the other candidates of its group in order;
 * only when none can take it is the answer a 429.
 */
export async function admit(
  envelope: CallEnvelope,
  config: GatewayConfig,
  deployments: ReadonlyMap<string, Deployment>,
  limiter: ClusterLimiter,
): Promise<Admission> {
  const order = [envelope.deploymentId, ...envelope.candidates.filter((id) => id !== envelope.deploymentId)];
  // The first candidate's denial is the one the client hears about; the retry time is the soonest of all.
  let firstDenial: { deploymentId: string; headers: Record<string, string>; message: string } | null = null;
  let soonestRetryMs = Number.POSITIVE_INFINITY;
  for (const id of order) {
    const deployment = deployments.get(id);
    if (!deployment) continue;
    const scope = deploymentScope(deployment);
    if (!isLimited(scope)) {
      return { kind: 'admitted', envelope: { ...envelope, deploymentId: id, reservation: null, admissionHeaders: {} } };
    }
    const tokens = tokensToReserve(envelope, deployment, config);
    if (scope.tpm !== null && tokens > scope.tpm) {
      firstDenial ??= {
        deploymentId: id,
        headers: {},
        message: `This request needs about ${tokens} tokens, more than deployment ${id}'s whole limit of ${scope.tpm} tokens per minute.`,
      };
      continue;
    }
    let result;
    try {
      result = await limiter.admit({
        reservationId: randomUUID(),
        deploymentId: id,
        scopes: [scope],
        tokens,
        leaseMs: deployment.timeoutMs + LEASE_GRACE_MS,
      });
    } catch (cause) {
      return { kind: 'unavailable', cause };
    }
    const headers = rateLimitHeaders(scope, result);
    if (result.admitted) {
      return {
        kind: 'admitted',
        envelope: { ...envelope, deploymentId: id, reservation: result.reservation, admissionHeaders: headers },
      };
    }
    soonestRetryMs = Math.min(soonestRetryMs, result.retryAfterMs);
    const what = result.reason === 'rpm' ? 'requests per minute' : result.reason === 'tpm' ? 'tokens per minute' : 'parallel requests';
    firstDenial ??= {
      deploymentId: id,
      headers,
      message: `Rate limit reached for model "${envelope.modelGroup}": deployment ${id} is at its ${what} limit.`,
    };
  }
  if (!firstDenial) {
    return { kind: 'admitted', envelope: { ...envelope, reservation: null, admissionHeaders: {} } };
  }
  const retryAfterSeconds = Number.isFinite(soonestRetryMs) ? Math.max(1, Math.ceil(soonestRetryMs / 1000)) : 60;
  return {
    kind: 'denied',
    deploymentId: firstDenial.deploymentId,
    error: Errors.rateLimited(firstDenial.message, retryAfterSeconds),
    headers: { ...firstDenial.headers, 'retry-after': String(retryAfterSeconds) },
  };
}
