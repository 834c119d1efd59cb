import { GatewayError, type CallCompleted, type CallEnvelope, type Caller } from '@switchyard/contracts';
import type { Deployment } from '@switchyard/config';
import { worstCaseCost } from '@switchyard/pricing';
import type { BudgetCharge } from './cluster-limiter.js';

/** The caller's budgets as the limiter charges them: its key's, team's and user's spend caps (none for an envelope built without a caller). */
export function budgetChargesOf(caller: Caller | undefined): BudgetCharge[] {
  return (caller?.budgets ?? []).map((budget) => ({
    scope: budget.scope,
    maxBudgetUsd: budget.maxBudget,
    durationMs: budget.durationMs,
    periodAnchorMs: budget.periodAnchorMs,
  }));
}

/**
 * What the call may cost at most, in USD: the tokens the limiter reserves for
 * it (the prompt estimate, plus every choice's completion bound) at the
 * deployment's prices, the prompt at the input price and the completions at
 * the output price. Zero when no price is known: such a call is admitted
 * while the budget has room and settles to what the ledger can price (nothing).
 */
export function worstCaseCostOf(envelope: CallEnvelope, deployment: Deployment, reservedTokens: number): number {
  const prompt = Math.min(envelope.estimatedPromptTokens, reservedTokens);
  return worstCaseCost(deployment, prompt, reservedTokens - prompt)?.usd ?? 0;
}

/**
 * The cost a finished call settles its budget reservation to: its priced
 * usage; nothing when it certainly did no billable work (never called, a
 * refused connection, an error status without usage); the reserved worst
 * case when the outcome is unknown (a timeout may still have been billed).
 */
export function settledCost(event: CallCompleted): number {
  if (event.providerCalled === false) return 0;
  if (typeof event.cost === 'number') return event.cost;
  if (event.usage === null && (event.outcome === 'connection_error' || event.outcome === 'provider_error')) return 0;
  return event.reservation?.cost ?? 0;
}

/** LiteLLM's names of a scope in its budget message: `Key=<alias>`, `Team=<id>`, `User=<id>`. */
function scopeLabel(scope: string, caller: Caller): string {
  if (scope.startsWith('key:')) return `Key=${caller.keyAlias ?? `${scope.slice(4, 12)}...`}`;
  if (scope.startsWith('team:')) return `Team=${caller.teamAlias ?? scope.slice(5)}`;
  if (scope.startsWith('user:')) return `User=${scope.slice(5)}`;
  return scope;
}

/**
 * LiteLLM's budget error (its BudgetExceededError, as its proxy answers it):
 * status 429, type `budget_exceeded`, the message starting "Budget has been
 * exceeded!". With `x-should-retry: false` (the code is not one the ingress
 * calls safe to retry): the OpenAI SDKs would otherwise retry a 429 twice.
 */
export function budgetExceeded(
  charge: BudgetCharge,
  caller: Caller,
  spentUsd: number,
  costUsd: number,
  retryAfterMs: number | null,
): GatewayError {
  const fits = spentUsd < charge.maxBudgetUsd;
  const message =
    `Budget has been exceeded! ${scopeLabel(charge.scope, caller)} Current cost: ${spentUsd}, Max budget: ${charge.maxBudgetUsd}` +
    (fits ? `. This request may cost up to ${costUsd}, more than the budget has left; lower max_tokens or n.` : '');
  return new GatewayError({
    status: 429,
    type: 'budget_exceeded',
    code: '429',
    message,
    param: null,
    ...(retryAfterMs === null ? {} : { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) }),
  });
}
