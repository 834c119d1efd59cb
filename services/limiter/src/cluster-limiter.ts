import type { Redis } from 'ioredis';
import type { Reservation } from '@switchyard/contracts';
import { ADMIT_SCRIPT, SEED_BUDGET_SCRIPT, SETTLE_BUDGET_SCRIPT, SETTLE_SCRIPT } from './window-scripts.js';

/** Budget amounts travel to Redis in integer nano-USD: sums of many small costs stay exact. */
const NANO_PER_USD = 1e9;

/** One spend cap the call is charged against, with the call's worst-case cost (see budgets.ts). */
export interface BudgetCharge {
  scope: string;
  maxBudgetUsd: number;
  durationMs: number | null;
  periodAnchorMs: number;
}

/** One set of limits, counted cluster-wide under its own keys: a deployment today, an API key tomorrow. */
export interface LimitScope {
  /** `dep:<deployment id>`, `key:<caller hash>`, ... */
  name: string;
  rpm: number | null;
  tpm: number | null;
  maxParallel: number | null;
  /**
   * Count the scope's calls in flight even without max_parallel_requests
   * (least-busy reads them); settlement releases them as it does a slot.
   */
  trackInFlight?: boolean;
}

export interface AdmitRequest {
  reservationId: string;
  deploymentId: string;
  /** The deployment's scope first: its remaining/reset figures become the response headers. */
  scopes: LimitScope[];
  tokens: number;
  /** How long a concurrency slot and the reservation live if the call never completes. */
  leaseMs: number;
  /** The caller's budgets and what the call may cost at most (USD), reserved with the limits in one step. */
  budgets?: { charges: BudgetCharge[]; costUsd: number };
}

export interface WindowReport {
  remainingRequests: number | null;
  remainingTokens: number | null;
  resetRequestsMs: number;
  resetTokensMs: number;
  /** Each scope counted (all when admitted, up to the refusing one when not): what it has left (null = no limit). */
  scopeRemaining?: ScopeRemaining[];
}

export interface ScopeRemaining {
  scope: string;
  requests: number | null;
  tokens: number | null;
}

function scopeRemainingOf(scopes: readonly LimitScope[], values: ReadonlyArray<number | string>): ScopeRemaining[] {
  const out: ScopeRemaining[] = [];
  for (let index = 0; index + 1 < values.length && index / 2 < scopes.length; index += 2) {
    const requests = Number(values[index]);
    const tokens = Number(values[index + 1]);
    out.push({ scope: scopes[index / 2]!.name, requests: requests < 0 ? null : requests, tokens: tokens < 0 ? null : tokens });
  }
  return out;
}

export type AdmitResult =
  | ({ admitted: true; reservation: Reservation } & WindowReport)
  | ({ admitted: false; scope: string; reason: 'rpm' | 'tpm' | 'parallel'; retryAfterMs: number } & WindowReport)
  | ({
      admitted: false;
      scope: string;
      reason: 'budget';
      /** Until the budget's period resets, or the window's length when it never does (see periodResetMs). */
      retryAfterMs: number;
      /** Until the budget's period resets; null when it never does (no budget_duration). */
      periodResetMs: number | null;
      budget: BudgetCharge;
      spentUsd: number;
    } & WindowReport)
  | ({
      admitted: false;
      scope: string;
      /** The budget has no counter in Redis: seed it (seedBudget) from the ledger's spend since `periodStartMs`, then admit again. */
      reason: 'unseeded';
      retryAfterMs: number;
      budget: BudgetCharge;
      period: number;
      periodStartMs: number;
    } & WindowReport);

export interface ClusterLimiterOptions {
  redis: Redis;
  keyPrefix: string;
  windowMs?: number;
  bucketMs?: number;
}

type ScriptRunner = (numKeys: number, ...args: Array<string | number>) => Promise<Array<number | string>>;

/**
 * Sliding-window RPM/TPM and concurrency limits in Redis, for the whole
 * cluster. Scripts are registered once and run by EVALSHA (ioredis falls back
 * to EVAL when Redis lost its script cache, e.g. after a restart).
 */
export class ClusterLimiter {
  readonly windowMs: number;
  readonly bucketMs: number;
  readonly #prefix: string;
  readonly #redis: Redis;
  readonly #admit: ScriptRunner;
  readonly #settle: ScriptRunner;
  readonly #settleBudget: ScriptRunner;
  readonly #seedBudget: ScriptRunner;

  constructor(options: ClusterLimiterOptions) {
    this.windowMs = options.windowMs ?? 60_000;
    this.bucketMs = options.bucketMs ?? 1_000;
    this.#prefix = options.keyPrefix;
    this.#redis = options.redis;
    const redis = options.redis as Redis & Record<string, ScriptRunner>;
    if (!redis.switchyardAdmit) {
      redis.defineCommand('switchyardAdmit', { lua: ADMIT_SCRIPT });
      redis.defineCommand('switchyardSettle', { lua: SETTLE_SCRIPT });
      redis.defineCommand('switchyardSettleBudget', { lua: SETTLE_BUDGET_SCRIPT });
      redis.defineCommand('switchyardSeedBudget', { lua: SEED_BUDGET_SCRIPT });
    }
    this.#admit = redis.switchyardAdmit!.bind(redis);
    this.#settle = redis.switchyardSettle!.bind(redis);
    this.#settleBudget = redis.switchyardSettleBudget!.bind(redis);
    this.#seedBudget = redis.switchyardSeedBudget!.bind(redis);
  }

  async admit(request: AdmitRequest): Promise<AdmitResult> {
    const keys = [this.#reservationKey(request.reservationId)];
    const limits: number[] = [];
    for (const scope of request.scopes) {
      keys.push(this.#key(scope.name, 'req'), this.#key(scope.name, 'tok'), this.#key(scope.name, 'inflight'));
      limits.push(scope.rpm ?? -1, scope.tpm ?? -1, scope.maxParallel ?? (scope.trackInFlight ? -2 : -1));
    }
    const charges = request.budgets?.charges ?? [];
    const costNano = Math.ceil((request.budgets?.costUsd ?? 0) * NANO_PER_USD);
    const budgetArgs: number[] = [charges.length, costNano];
    for (const charge of charges) {
      keys.push(this.#budgetKey(charge.scope));
      budgetArgs.push(Math.floor(charge.maxBudgetUsd * NANO_PER_USD), charge.durationMs ?? -1, charge.periodAnchorMs);
    }
    if (charges.length > 0) keys.push(this.#budgetReservationKey(request.reservationId));
    const result = await this.#admit(
      keys.length,
      ...keys,
      this.windowMs,
      this.bucketMs,
      request.reservationId,
      request.tokens,
      request.leaseMs,
      request.scopes.length,
      ...limits,
      ...budgetArgs,
    );
    const numbers = result.map((value) => (typeof value === 'string' ? value : Number(value)));
    if (numbers[0] === 1) {
      const [, bucket, expiresAt, remReq, remTok, resetReq, resetTok] = numbers as number[];
      // After the seven figures: each scope's remaining requests and tokens, then each budget's period.
      const periods = (numbers as number[]).slice(7 + request.scopes.length * 2);
      const reservation: Reservation = {
        id: request.reservationId,
        deploymentId: request.deploymentId,
        scopes: request.scopes.map((scope) => scope.name),
        tokens: request.tokens,
        bucket: bucket!,
        expiresAt: expiresAt!,
      };
      if (charges.length > 0) {
        reservation.cost = costNano / NANO_PER_USD;
        reservation.budgetScopes = charges.map((charge, index) => ({ scope: charge.scope, period: periods[index]! }));
      }
      return {
        admitted: true,
        reservation,
        ...report(remReq!, remTok!, resetReq!, resetTok!),
        scopeRemaining: scopeRemainingOf(request.scopes, numbers.slice(7, 7 + request.scopes.length * 2)),
      };
    }
    const [, scopeIndex, reason, retryMs, remReq, remTok, resetReq, resetTok, spent] = numbers;
    if (reason === 'unseeded') {
      const budget = charges[Number(scopeIndex) - 1]!;
      return {
        admitted: false,
        scope: budget.scope,
        reason: 'unseeded',
        retryAfterMs: 0,
        budget,
        period: Number(spent),
        periodStartMs: Number(retryMs),
        ...report(Number(remReq), Number(remTok), Number(resetReq), Number(resetTok)),
      };
    }
    if (reason === 'budget') {
      const budget = charges[Number(scopeIndex) - 1]!;
      return {
        admitted: false,
        scope: budget.scope,
        reason: 'budget',
        retryAfterMs: Number(retryMs) < 0 ? this.windowMs : Math.max(0, Number(retryMs)),
        periodResetMs: Number(retryMs) < 0 ? null : Math.max(0, Number(retryMs)),
        budget,
        spentUsd: Number(spent) / NANO_PER_USD,
        ...report(Number(remReq), Number(remTok), Number(resetReq), Number(resetTok)),
      };
    }
    return {
      admitted: false,
      scope: request.scopes[Number(scopeIndex) - 1]!.name,
      reason: reason as 'rpm' | 'tpm' | 'parallel',
      retryAfterMs: Math.max(0, Number(retryMs)),
      ...report(Number(remReq), Number(remTok), Number(resetReq), Number(resetTok)),
      scopeRemaining: scopeRemainingOf(request.scopes, numbers.slice(8)),
    };
  }

  /** Corrects the reserved tokens to the actual usage and frees the concurrency slot; idempotent. */
  async settle(reservation: Reservation, actualTokens: number): Promise<boolean> {
    const keys = [this.#reservationKey(reservation.id)];
    for (const scope of reservation.scopes) keys.push(this.#key(scope, 'tok'), this.#key(scope, 'inflight'));
    const settled = await this.#settle(
      keys.length,
      ...keys,
      this.windowMs,
      this.bucketMs,
      reservation.id,
      reservation.bucket,
      Math.max(0, Math.round(actualTokens)),
      reservation.scopes.length,
    );
    return Number(settled) === 1;
  }

  /**
   * Corrects a budget reservation to the call's real cost (USD) in the period
   * it was admitted in; idempotent (the first settlement deletes the reservation).
   */
  async settleBudget(reservation: Reservation, actualCostUsd: number): Promise<boolean> {
    const budgetScopes = reservation.budgetScopes ?? [];
    if (budgetScopes.length === 0) return false;
    const keys = [this.#budgetReservationKey(reservation.id), ...budgetScopes.map((budget) => this.#budgetKey(budget.scope))];
    const settled = await this.#settleBudget(
      keys.length,
      ...keys,
      Math.max(0, Math.round(actualCostUsd * NANO_PER_USD)),
      budgetScopes.length,
      ...budgetScopes.map((budget) => budget.period),
    );
    return Number(settled) === 1;
  }

  /** Seeds a budget's missing counter for `period` with `spentUsd` (the ledger's); false when it exists already. */
  async seedBudget(budget: BudgetCharge, period: number, spentUsd: number): Promise<boolean> {
    const seeded = await this.#seedBudget(
      1,
      this.#budgetKey(budget.scope),
      period,
      Math.max(0, Math.round(spentUsd * NANO_PER_USD)),
      budget.durationMs ?? -1,
      budget.periodAnchorMs,
    );
    return Number(seeded) === 1;
  }

  /** A budget's spend in its current period as Redis holds it (USD), for tests and operators. */
  async budgetSpend(scope: string, period: number): Promise<number> {
    const redis = this.#redis;
    const value = await redis.hget(this.#budgetKey(scope), String(period));
    return value === null ? 0 : Number(value) / NANO_PER_USD;
  }

  /** The Redis key of one of a scope's counters, for readers of cluster-wide load. */
  keyOf(scope: string, kind: 'req' | 'tok' | 'inflight'): string {
    return this.#key(scope, kind);
  }

  #key(scope: string, kind: 'req' | 'tok' | 'inflight'): string {
    return `${this.#prefix}:rl:{${scope}}:${kind}`;
  }

  #reservationKey(id: string): string {
    return `${this.#prefix}:rl:res:${id}`;
  }

  #budgetKey(scope: string): string {
    return `${this.#prefix}:budget:{${scope}}`;
  }

  #budgetReservationKey(id: string): string {
    return `${this.#prefix}:budget:res:${id}`;
  }
}

function report(remReq: number, remTok: number, resetReq: number, resetTok: number): WindowReport {
  return {
    remainingRequests: remReq < 0 ? null : Math.max(0, remReq),
    remainingTokens: remTok < 0 ? null : Math.max(0, remTok),
    resetRequestsMs: Math.max(0, resetReq),
    resetTokensMs: Math.max(0, resetTok),
  };
}
