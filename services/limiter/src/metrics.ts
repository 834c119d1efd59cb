import { Counter, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from '@switchyard/telemetry';

export type LimiterMetrics = ReturnType<typeof createLimiterMetrics>;

export function createLimiterMetrics(registry: Registry) {
  return {
    decisions: new Counter({
      name: 'switchyard_limiter_decisions_total',
      help: 'Routing decisions handled by the limiter, by deployment and outcome',
      labelNames: ['deployment', 'outcome'],
      registers: [registry],
    }),
    admissionLatency: new Histogram({
      name: 'switchyard_limiter_admission_duration_seconds',
      help: 'Time to admit or deny a decision (the Redis round trip)',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    redisUnavailable: new Counter({
      name: 'switchyard_limiter_redis_unavailable_total',
      help: 'Decisions handled while Redis was unreachable, by the policy applied',
      labelNames: ['policy'],
      registers: [registry],
    }),
    upstreamCallers: new Gauge({
      name: 'switchyard_limiter_upstream_callers',
      help: 'Upstream-callers this limiter knows to be there (from their presence beats)',
      registers: [registry],
    }),
    budgetSeedFailures: new Counter({
      name: 'switchyard_limiter_budget_seed_failures_total',
      help: 'Budget counters seeded with 0 because the ledger did not answer with the spend it recorded',
      registers: [registry],
    }),
    settlements: new Counter({
      name: 'switchyard_limiter_settlements_total',
      help: 'Call-completed events settled against reservations, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    cooldowns: new Counter({
      name: 'switchyard_limiter_cooldowns_total',
      help: 'Cooldowns started after a deployment failed more than allowed_fails times, by deployment',
      labelNames: ['deployment'],
      registers: [registry],
    }),
    cooldownSkips: new Counter({
      name: 'switchyard_limiter_cooldown_skips_total',
      help: 'Admissions that skipped a candidate because it was cooling down, by deployment',
      labelNames: ['deployment'],
      registers: [registry],
    }),
    reservedTokens: new Counter({
      name: 'switchyard_limiter_reserved_tokens_total',
      help: 'Tokens reserved at admission, by deployment',
      labelNames: ['deployment'],
      registers: [registry],
    }),
  };
}
