import { randomUUID } from 'node:crypto';
import { Errors, GatewayError, type CallEnvelope } from '@switchyard/contracts';
import { admissionOrder, COOLING_DOWN_CODE } from '@switchyard/routing';
import type { Deployment, GatewayConfig } from '@switchyard/config';
import type { ClusterLimiter, LimitScope } from './cluster-limiter.js';
import { rateLimitHeaders } from './ratelimit-headers.js';
import { callerDenial, callerRateLimitHeaders, callerScopes, isCallerScope, limitTypeOf } from './caller-limits.js';
import { budgetChargesOf, budgetExceeded, worstCaseCostOf } from './budgets.js';

/** Time a reservation outlives its call's own timeout before it frees itself. */
const LEASE_GRACE_MS = 30_000;

/** The spend the ledger recorded for a budget scope, all time or since `sinceMs` (USD; 0 when the ledger cannot say). */
export type RecordedSpend = (scope: string, sinceMs: number | null) => Promise<number>;

export type Admission =
  | { kind: 'admitted'; envelope: CallEnvelope }
  | { kind: 'denied'; error: GatewayError; headers: Record<string, string>; deploymentId: string }
  | { kind: 'unavailable'; cause: unknown };

export function deploymentScope(deployment: Deployment): LimitScope {
  return { name: `dep:${deployment.id}`, rpm: deployment.rpm, tpm: deployment.tpm, maxParallel: deployment.maxParallelRequests };
}

/** The chosen deployment first, then the other candidates in order. */
export function candidateOrder(envelope: CallEnvelope): string[] {
  return [envelope.deploymentId, ...envelope.candidates.filter((id) => id !== envelope.deploymentId)];
}

function isLimited(scope: LimitScope): boolean {
  return scope.rpm !== null || scope.tpm !== null || scope.maxParallel !== null;
}

/**
 * Tokens reserved before the call: everything the provider may bill for it.
 * The prompt estimate (messages, tools, schemas: every text the model reads)
 * plus, for each choice it generates (n, best_of), what one completion may
 * use: the client's bound, else the deployment's default max_tokens, else the
 * configured completion estimate. Without a client bound the reservation is
 * an estimate, and the call's real usage settles it.
 */
export function tokensToReserve(envelope: CallEnvelope, deployment: Deployment, config: GatewayConfig): number {
  if (envelope.endpoint === 'embeddings') return envelope.estimatedPromptTokens;
  const deploymentMax = deployment.defaultParams.max_tokens;
  const perChoice = envelope.maxCompletionTokens ?? (typeof deploymentMax === 'number' ? deploymentMax : config.general.completionTokensEstimate);
  const bounded = Math.min(perChoice, outputLimitOf(deployment) ?? Number.POSITIVE_INFINITY);
  return envelope.estimatedPromptTokens + bounded * envelope.choices;
}

/** A deployment's own bounds, where its config states them (LiteLLM's model_info fields). */
function outputLimitOf(deployment: Deployment): number | null {
  return positiveInteger(deployment.modelInfo.max_output_tokens) ?? positiveInteger(deployment.modelInfo.max_tokens);
}

function inputLimitOf(deployment: Deployment): number | null {
  return positiveInteger(deployment.modelInfo.max_input_tokens);
}

function promptParam(envelope: CallEnvelope): string {
  return envelope.endpoint === 'chat.completions' ? 'messages' : envelope.endpoint === 'completions' ? 'prompt' : 'input';
}

/** The field that bounds the completion, as the client's API names it. */
function completionParam(envelope: CallEnvelope): string {
  return envelope.endpoint === 'responses' ? 'max_output_tokens' : 'max_tokens';
}

function positiveInteger(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : null;
}

/**
 * Why a deployment can never serve this request, or null. These are 400s,
 * not 429s: a 429 tells SDKs to retry (the OpenAI SDKs do, twice, by
 * default), and a request larger than a deployment's model or than its whole
 * minute of tokens fails the same way on every retry. The client has to send
 * a smaller request (lower max_tokens or n, a shorter prompt).
 */
export function refusalOf(envelope: CallEnvelope, deployment: Deployment, config: GatewayConfig): GatewayError | null {
  const outputLimit = outputLimitOf(deployment);
  if (envelope.endpoint !== 'embeddings' && outputLimit !== null && envelope.maxCompletionTokens !== null && envelope.maxCompletionTokens > outputLimit) {
    return Errors.invalidRequest(
      `${completionParam(envelope)} is too large: ${envelope.maxCompletionTokens}. Deployment ${deployment.id} supports at most ${outputLimit} completion tokens.`,
      completionParam(envelope),
      'invalid_value',
    );
  }
  const inputLimit = inputLimitOf(deployment);
  if (inputLimit !== null && envelope.estimatedPromptTokens > inputLimit) {
    return Errors.invalidRequest(
      `This model's maximum context length is ${inputLimit} tokens; the prompt has about ${envelope.estimatedPromptTokens}.`,
      promptParam(envelope),
      'context_length_exceeded',
    );
  }
  const tokens = tokensToReserve(envelope, deployment, config);
  if (deployment.tpm !== null && tokens > deployment.tpm) {
    const param =
      envelope.estimatedPromptTokens > deployment.tpm ? promptParam(envelope) : envelope.maxCompletionTokens === null ? null : envelope.choices > 1 ? 'n' : completionParam(envelope);
    return Errors.invalidRequest(
      `This request may use about ${tokens} tokens (prompt ~${envelope.estimatedPromptTokens}` +
        (envelope.endpoint === 'embeddings' ? '' : `, up to ${tokens - envelope.estimatedPromptTokens} for ${envelope.choices} completion(s)`) +
        `), more than deployment ${deployment.id}'s whole limit of ${deployment.tpm} tokens per minute: it can never be admitted. Lower max_tokens or n, or shorten the prompt.`,
      param,
      'tokens_exceed_limit',
    );
  }
  return null;
}

/**
 * Admits a routing decision: the first of the ingress's candidates (in the
 * attempt policy's order) that is not cooling down and whose cluster-wide
 * limits have room. Only when none can take it is the answer a 429; when
 * every candidate is cooling down, a 429 with code `deployments_cooling_down`
 * that the attempt policy answers with a fallback.
 */
export async function admit(
  envelope: CallEnvelope,
  config: GatewayConfig,
  deployments: ReadonlyMap<string, Deployment>,
  limiter: ClusterLimiter,
  cooling: ReadonlySet<string> = new Set(),
  /** Count every admitted call in the cluster's windows and in-flight sets, also without limits (the load-aware strategies read them). */
  trackUsage = false,
  /** The ledger's recorded spend of a budget scope (since a period's start), for a budget counter Redis does not have. */
  recordedSpend: RecordedSpend = async () => 0,
): Promise<Admission> {
  const { order, skipped } = admissionOrder(candidateOrder(envelope), cooling);
  if (order.length === 0 && skipped.length > 0) {
    const retryAfterSeconds = Math.max(1, Math.ceil(config.router.reliability.cooldownTimeMs / 1000));
    return {
      kind: 'denied',
      deploymentId: skipped[0]!,
      error: new GatewayError({
        status: 429,
        type: 'rate_limit_error',
        code: COOLING_DOWN_CODE,
        message: `No deployment of model "${envelope.modelGroup}" is available: every one is cooling down after repeated failures.`,
        retryAfterSeconds,
      }),
      headers: { 'retry-after': String(retryAfterSeconds) },
    };
  }
  // The first candidate's denial is the one the client hears about; the retry time is the soonest of all.
  let firstDenial: { deploymentId: string; headers: Record<string, string>; message: string; error?: GatewayError } | null = null;
  let firstRefusal: { deploymentId: string; error: GatewayError } | null = null;
  let soonestRetryMs = Number.POSITIVE_INFINITY;
  // The key's and team's own limits, counted with each candidate's in one atomic step.
  const caller = callerScopes(envelope);
  // The key's, team's and user's budgets, reserved with them in the same step.
  const budgetCharges = budgetChargesOf(envelope.caller);
  for (const id of order) {
    const deployment = deployments.get(id);
    if (!deployment) continue;
    const refusal = refusalOf(envelope, deployment, config);
    if (refusal) {
      firstRefusal ??= { deploymentId: id, error: refusal };
      continue;
    }
    const scope: LimitScope = { ...deploymentScope(deployment), trackInFlight: trackUsage };
    if (!trackUsage && !isLimited(scope) && caller.length === 0 && budgetCharges.length === 0) {
      return { kind: 'admitted', envelope: { ...envelope, deploymentId: id, reservation: null, admissionHeaders: {} } };
    }
    const tokens = tokensToReserve(envelope, deployment, config);
    const costUsd = budgetCharges.length > 0 ? worstCaseCostOf(envelope, deployment, tokens) : 0;
    let result;
    try {
      for (let seeded = 0; ; seeded++) {
        result = await limiter.admit({
          reservationId: randomUUID(),
          deploymentId: id,
          scopes: [scope, ...caller],
          tokens,
          leaseMs: deployment.timeoutMs + LEASE_GRACE_MS,
          ...(budgetCharges.length > 0 ? { budgets: { charges: budgetCharges, costUsd } } : {}),
        });
        if (result.admitted || result.reason !== 'unseeded' || seeded >= budgetCharges.length) break;
        // A budget's counter is missing (first use in a while, or Redis lost it): its period restarts from the ledger's spend.
        const { budget } = result;
        await limiter.seedBudget(budget, result.period, await recordedSpend(budget.scope, budget.durationMs === null ? null : result.periodStartMs));
      }
    } catch (cause) {
      return { kind: 'unavailable', cause };
    }
    if (!result.admitted && result.reason === 'unseeded') return { kind: 'unavailable', cause: new Error(`budget ${result.scope} could not be seeded`) };
    const headers = { ...rateLimitHeaders(scope, result), ...callerRateLimitHeaders(caller, result.scopeRemaining) };
    if (result.admitted) {
      return {
        kind: 'admitted',
        envelope: { ...envelope, deploymentId: id, reservation: result.reservation, admissionHeaders: headers },
      };
    }
    if (result.reason === 'budget') {
      // A cheaper candidate may still fit the budget; if none does, this is the answer.
      const error = budgetExceeded(result.budget, envelope.caller, result.spentUsd, costUsd, result.periodResetMs);
      firstDenial ??= { deploymentId: id, headers: {}, message: error.message, error };
      continue;
    }
    const callerScope = isCallerScope(result.scope) ? caller.find((entry) => entry.name === result.scope) : undefined;
    if (callerScope) {
      // The key's (or team's) own limit: every other candidate would refuse it the same way.
      const retryAfterSeconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
      return {
        kind: 'denied',
        deploymentId: id,
        error: callerDenial(callerScope, result.reason, retryAfterSeconds),
        headers: { ...headers, 'retry-after': String(retryAfterSeconds), rate_limit_type: limitTypeOf(result.reason) },
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
  // A deployment that is only busy wins over one that can never serve it: waiting may help.
  if (!firstDenial && firstRefusal) {
    return { kind: 'denied', deploymentId: firstRefusal.deploymentId, error: firstRefusal.error, headers: { 'x-should-retry': 'false' } };
  }
  if (!firstDenial) {
    return { kind: 'admitted', envelope: { ...envelope, reservation: null, admissionHeaders: {} } };
  }
  if (firstDenial.error) {
    return { kind: 'denied', deploymentId: firstDenial.deploymentId, error: firstDenial.error, headers: { 'x-should-retry': 'false' } };
  }
  const retryAfterSeconds = Number.isFinite(soonestRetryMs) ? Math.max(1, Math.ceil(soonestRetryMs / 1000)) : 60;
  return {
    kind: 'denied',
    deploymentId: firstDenial.deploymentId,
    error: Errors.rateLimited(firstDenial.message, retryAfterSeconds),
    headers: { ...firstDenial.headers, 'retry-after': String(retryAfterSeconds) },
  };
}
