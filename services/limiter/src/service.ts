import type { ConsumerMessages, Msg, NatsConnection, Subscription } from 'nats';
import type { Redis } from 'ioredis';
import { consumeDurable, decodeJson, envelopeHeaders, openRoutedMessage, type ReplyWriter, traceContextOf } from '@switchyard/bus';
import { CallsCompleted, Errors, LedgerReply, QueueGroups, ScopeSpend, type BusNames, type CallEnvelope, type DeploymentHealthReply } from '@switchyard/contracts';
import type { GatewayConfig } from '@switchyard/config';
import { SpanKind, switchyardTracer, trace, type Context, type Logger, type Registry, type Span } from '@switchyard/telemetry';
import { canCoolDown, cooldownRuleFor, failureKindOfCall, limiterOrdersFor, NO_STAND_IN, strategyReadsLoad, type StandIns } from '@switchyard/routing';
import { admit, candidateOrder } from './admission.js';
import { CooldownStore } from './cooldowns.js';
import { CallerRoster } from './caller-roster.js';
import { ClusterLimiter } from './cluster-limiter.js';
import { ClusterLoad } from './cluster-load.js';
import { orderCandidates, strategySettingsOf, tracksAllUsage } from './strategy-order.js';
import { createLimiterMetrics } from './metrics.js';
import { salvageSettlements, settledTokens } from './settlement.js';
import { settledCost } from './budgets.js';

/** How long a budget seed waits for the ledger's spend. */
const LEDGER_TIMEOUT_MS = 2_000;

/** Redelivery delay of a settlement that failed (Redis down). */
const SETTLE_RETRY_MS = 1_000;

export interface LimiterDeps {
  nc: NatsConnection;
  names: BusNames;
  config: GatewayConfig;
  redis: Redis;
  logger: Logger;
  registry: Registry;
  /** Window geometry; tests shorten it. */
  window?: { windowMs: number; bucketMs: number };
}

export interface LimiterService {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Admits each routing decision against the cluster-wide limits in Redis,
 * then hands it to an upstream-caller with the ingress's reply inbox: one
 * publish, no acknowledgement on the request path. Whether any
 * upstream-caller is there comes from their presence beats (CallerRoster),
 * so "none is running" is still a 503 at once instead of a timeout.
 * Call-completed events settle each reservation to the actual usage.
 */
export function createLimiter(deps: LimiterDeps): LimiterService {
  const { nc, names, config, logger } = deps;
  const metrics = createLimiterMetrics(deps.registry);
  const deployments = new Map(config.deployments.map((deployment) => [deployment.id, deployment]));
  // What could stand in for each deployment when it cools down: the rest of its group, or a fallback group.
  const standIns = new Map<string, StandIns>();
  for (const [group, members] of [...config.groups, ...config.wildcards]) {
    const fallbackGroups = (config.router.reliability.fallbacks[group] ?? config.router.reliability.fallbacks['*'] ?? config.router.reliability.defaultFallbacks).length;
    for (const member of members) standIns.set(member.id, { groupSize: members.length, fallbackGroups });
  }
  const limiter = new ClusterLimiter({ redis: deps.redis, keyPrefix: names.prefix, ...deps.window });
  const strategy = strategySettingsOf(config.router);
  const load = new ClusterLoad({ redis: deps.redis, keyPrefix: names.prefix, limiter, latencyTtlMs: strategy.latencyTtlMs });
  const trackUsage = tracksAllUsage(strategy.strategy);
  const cooldowns = new CooldownStore(deps.redis, names.prefix);
  const reliability = config.router.reliability;
  const policy = config.general.onLimiterUnavailable;
  const tracer = switchyardTracer();
  const callers = new CallerRoster({ nc, names, logger, gauge: metrics.upstreamCallers });
  const inFlight = new Set<Promise<void>>();
  let subscription: Subscription | null = null;
  let healthSubscription: Subscription | null = null;
  let settlements: ConsumerMessages | null = null;
  const loops: Promise<void>[] = [];

  function track(task: Promise<void>): void {
    const guarded = task.catch((error: unknown) => logger.error({ err: error }, 'limiter task failed'));
    inFlight.add(guarded);
    void guarded.finally(() => inFlight.delete(guarded));
  }

  async function handleDecision(msg: Msg): Promise<void> {
    const opened = openRoutedMessage(nc, msg, msg.reply, logger);
    if (!opened) return;
    const { writer, envelope } = opened;
    const replyTo = msg.reply!;
    const parent = traceContextOf(msg);
    const span = tracer.startSpan(
      'limiter admit',
      { kind: SpanKind.CONSUMER, attributes: { 'switchyard.request_id': envelope.requestId, 'switchyard.attempt': envelope.attempt } },
      parent,
    );
    try {
      await decide(msg, envelope, writer, replyTo, span, trace.setSpan(parent, span));
    } finally {
      span.end();
    }
  }

  async function decide(msg: Msg, envelope: CallEnvelope, writer: ReplyWriter, replyTo: string, span: Span, spanContext: Context): Promise<void> {
    const started = performance.now();
    // Cooldowns and the load the strategy reads go to Redis together: one round trip's wait.
    const [cooling, ordered] = await Promise.all([coolingCandidates(envelope), strategyOrdered(envelope)]);
    if (cooling.size > 0) span.setAttribute('switchyard.cooling_down', [...cooling].join(','));
    for (const id of cooling) metrics.cooldownSkips.inc({ deployment: id });
    const admission = await admit(ordered, config, deployments, limiter, cooling, trackUsage, recordedSpend);
    metrics.admissionLatency.observe((performance.now() - started) / 1000);
    span.setAttribute('switchyard.admission', admission.kind);

    let admitted: CallEnvelope;
    if (admission.kind === 'denied') {
      metrics.decisions.inc({ deployment: admission.deploymentId, outcome: 'denied' });
      span.setAttribute('switchyard.deployment', admission.deploymentId);
      writer.fail(admission.error, { definite: true, deploymentId: admission.deploymentId, attempt: envelope.attempt, headers: admission.headers });
      return;
    } else if (admission.kind === 'unavailable') {
      metrics.redisUnavailable.inc({ policy });
      logger.warn({ err: admission.cause, policy, requestId: envelope.requestId }, 'redis unreachable: applying on_limiter_unavailable');
      if (policy === 'reject') {
        writer.fail(
          Errors.unavailable(
            'The rate limiter cannot reach its store (Redis), and the gateway is configured to refuse requests it cannot count (on_limiter_unavailable: reject).',
            'limiter_unavailable',
          ),
          { definite: true, deploymentId: envelope.deploymentId, attempt: envelope.attempt },
        );
        return;
      }
      admitted = { ...envelope, reservation: null, admissionHeaders: {} };
    } else {
      admitted = admission.envelope;
      if (admitted.reservation) metrics.reservedTokens.inc({ deployment: admitted.deploymentId }, admitted.reservation.tokens);
    }
    metrics.decisions.inc({ deployment: admitted.deploymentId, outcome: 'admitted' });
    span.setAttribute('switchyard.deployment', admitted.deploymentId);
    await handOff(msg, admitted, replyTo, writer, spanContext);
  }

  /**
   * The candidates in the routing strategy's order over the cluster's load
   * (every replica's calls). Without Redis the ingress's order stands; the
   * limits' own policy then decides what is admitted.
   */
  async function strategyOrdered(envelope: CallEnvelope): Promise<CallEnvelope> {
    if (!limiterOrdersFor(strategy.strategy)) return envelope;
    try {
      const snapshot = strategyReadsLoad(strategy.strategy) ? await load.snapshot(candidateOrder(envelope)) : new Map();
      return orderCandidates(envelope, strategy, deployments, snapshot, config);
    } catch (error) {
      logger.warn({ err: error, requestId: envelope.requestId }, 'cluster load unreadable (Redis): candidates keep the ingress order');
      return envelope;
    }
  }

  /** Latencies of finished calls, for latency-based routing on every replica. Best effort, as failure counts are. */
  async function recordLatencies(events: CallsCompleted['events']): Promise<void> {
    if (strategy.strategy !== 'latency-based-routing') return;
    // Sent together (ioredis pipelines them, Redis runs them in order), not one round trip per event.
    await Promise.all(
      events.map(async (event) => {
        // A call that never reached the provider, or failed fast, says nothing about its speed; a timeout does.
        if (event.outcome !== 'ok' && event.outcome !== 'timeout') return;
        if (!deployments.has(event.deploymentId)) return;
        try {
          await load.recordLatency(event.deploymentId, event.latencyMs);
        } catch (error) {
          logger.warn({ err: error, deployment: event.deploymentId }, 'latency not recorded (Redis)');
        }
      }),
    );
  }

  /**
   * Which candidates are cooling down: one MGET in the same hop as admission.
   * Without Redis the cooldowns are unknown and none is skipped: the limits'
   * own policy (on_limiter_unavailable) decides whether anything is admitted.
   */
  async function coolingCandidates(envelope: CallEnvelope): Promise<Set<string>> {
    if (reliability.disableCooldowns) return new Set();
    // A deployment nothing could stand in for never cools down (cooldownRuleFor): no need to ask Redis about it.
    const coolable = candidateOrder(envelope).filter((id) => canCoolDown(standIns.get(id)));
    if (coolable.length === 0) return new Set();
    try {
      return await cooldowns.coolingAmong(coolable);
    } catch (error) {
      logger.warn({ err: error, requestId: envelope.requestId }, 'cooldowns unreadable (Redis): no candidate skipped');
      return new Set();
    }
  }

  /**
   * What the ledger recorded for a budget whose Redis counter is missing (a
   * key's first call in a while, or Redis lost its data). Without an answer
   * (no ledger, Postgres away) the period restarts at zero: said and counted.
   */
  async function recordedSpend(scope: string, sinceMs: number | null): Promise<number> {
    try {
      const msg = await nc.request(names.subjects.spendOf, JSON.stringify({ scopes: [scope], sinceMs }), { timeout: LEDGER_TIMEOUT_MS });
      const reply = LedgerReply.parse(decodeJson(msg.data));
      if (!reply.ok) throw new Error(reply.message);
      return ScopeSpend.array().parse(reply.result)[0]?.spend ?? 0;
    } catch (error) {
      metrics.budgetSeedFailures.inc();
      logger.warn({ err: error, scope }, 'budget counter seeded with 0: the ledger did not say what was spent');
      return 0;
    }
  }

  async function answerHealth(msg: Msg): Promise<void> {
    let reply: DeploymentHealthReply;
    try {
      reply = { ok: true, deployments: await cooldowns.states([...deployments.keys()]) };
    } catch {
      reply = { ok: false, message: 'The limiter cannot reach Redis, where cooldowns are kept.' };
    }
    msg.respond(JSON.stringify(reply));
  }

  /** Counts the failures of finished calls toward their deployment's cooldown, for every replica to see. */
  async function recordFailures(events: CallsCompleted['events']): Promise<void> {
    // Sent together (pipelined, run in order by Redis), not one round trip per event.
    await Promise.all(
      events.map(async (event) => {
        const kind = failureKindOfCall(event);
        const deployment = deployments.get(event.deploymentId);
        if (kind === null || !deployment) return;
        const rule = cooldownRuleFor(kind, deployment, reliability, standIns.get(deployment.id) ?? NO_STAND_IN);
        if (!rule) return;
        try {
          const started = await cooldowns.recordFailure(deployment.id, rule, { at: event.finishedAt, kind, status: event.status });
          if (started) {
            metrics.cooldowns.inc({ deployment: deployment.id });
            logger.warn({ deployment: deployment.id, kind, cooldownMs: rule.cooldownMs, allowedFails: rule.allowedFails }, 'deployment cooling down');
          }
        } catch (error) {
          // Best effort: a failure not counted delays a cooldown; it never blocks settlement.
          logger.warn({ err: error, deployment: deployment.id }, 'failure not counted toward cooldown (Redis)');
        }
      }),
    );
  }

  async function handOff(msg: Msg, admitted: CallEnvelope, replyTo: string, writer: ReplyWriter, spanContext: Context): Promise<void> {
    if (!(await callers.available())) {
      metrics.decisions.inc({ deployment: admitted.deploymentId, outcome: 'no_upstream_caller' });
      if (admitted.reservation) {
        await limiter.settle(admitted.reservation, 0).catch(() => undefined);
        await limiter.settleBudget(admitted.reservation, 0).catch(() => undefined);
      }
      writer.fail(
        Errors.unavailable('No upstream-caller is running, so the request was not sent to any provider.', 'no_upstream_caller'),
        { definite: true, deploymentId: admitted.deploymentId, attempt: admitted.attempt },
      );
      return;
    }
    nc.publish(names.subjects.call, msg.data, { headers: envelopeHeaders(admitted, replyTo, spanContext) });
  }

  async function consumeSettlements(messages: ConsumerMessages): Promise<void> {
    for await (const msg of messages) {
      const raw = decodeJson(msg.data);
      const parsed = CallsCompleted.safeParse(raw);
      if (!parsed.success) {
        metrics.settlements.inc({ outcome: 'malformed' });
        // Unreadable as a whole, its reservations are still released: best effort, the message is not redelivered.
        await Promise.allSettled(
          salvageSettlements(raw).flatMap(({ reservation, tokens }) => [
            limiter.settle(reservation, tokens),
            // Its budget charge too: the real cost cannot be read, so the worst case held at admission is released.
            ...(reservation.budgetScopes?.length ? [limiter.settleBudget(reservation, 0)] : []),
          ]),
        );
        msg.term();
        continue;
      }
      // Counted once per delivery: a batch redelivered after a failed settlement may count its failures twice,
      // which can only bring a cooldown forward.
      // The settlements of one batch go to Redis together, with its failures and latencies; settling is
      // idempotent, so a batch that failed part-way is redelivered whole. Budgets settle to the call's
      // real cost (released whole when no provider was called); idempotent too.
      // Failures are sent first, as before: Redis runs the pipeline in order, so a freed slot never sees a stale cooldown.
      const [, , outcomes] = await Promise.all([
        recordFailures(parsed.data.events),
        recordLatencies(parsed.data.events),
        Promise.allSettled(
          parsed.data.events.flatMap((event) => [
            ...(event.reservation ? [limiter.settle(event.reservation, settledTokens(event))] : []),
            ...(event.reservation?.budgetScopes?.length ? [limiter.settleBudget(event.reservation, settledCost(event))] : []),
          ]),
        ),
      ]);
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      for (const outcome of outcomes) {
        metrics.settlements.inc({ outcome: outcome.status === 'rejected' ? 'failed' : outcome.value ? 'settled' : 'already_settled' });
      }
      if (failed) {
        logger.warn({ err: failed.reason, events: parsed.data.events.length }, 'settlement failed: will be redelivered');
        msg.nak(SETTLE_RETRY_MS);
      } else {
        msg.ack();
      }
    }
  }

  return {
    async start() {
      await callers.start();
      settlements = await consumeDurable(nc, names, {
        durable: names.consumers.limiterSettlements,
        filterSubject: names.subjects.callCompleted,
      });
      loops.push(consumeSettlements(settlements));
      subscription = nc.subscribe(names.subjects.decision, { queue: QueueGroups.limiter });
      const sub = subscription;
      loops.push(
        (async () => {
          for await (const msg of sub) track(handleDecision(msg));
        })(),
      );
      healthSubscription = nc.subscribe(names.subjects.deploymentHealth, { queue: QueueGroups.limiter });
      const healthSub = healthSubscription;
      loops.push(
        (async () => {
          for await (const msg of healthSub) track(answerHealth(msg));
        })(),
      );
      logger.info({ subject: names.subjects.decision, policy }, 'limiter consuming routing decisions');
    },
    async stop() {
      if (subscription) await subscription.drain();
      if (healthSubscription) await healthSubscription.drain();
      await settlements?.close();
      await Promise.all(loops);
      await Promise.allSettled([...inFlight]);
      callers.stop();
    },
  };
}
