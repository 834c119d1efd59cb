import type { CallEnvelope } from '@switchyard/contracts';
import type { Deployment, GatewayConfig, RouterSettings } from '@switchyard/config';
import { limiterOrdersFor, orderForStrategy, type LatencyOptions, type LoadSnapshot, type RandomSource } from '@switchyard/routing';
import { candidateOrder, tokensToReserve } from './admission.js';

/** LiteLLM's default `ttl` of latency-based routing: latencies of the last hour count. */
const DEFAULT_LATENCY_TTL_S = 3600;

export interface StrategySettings {
  strategy: string;
  latency: LatencyOptions;
  latencyTtlMs: number;
}

/** The strategy and the `routing_strategy_args` it uses; args out of range fall back to LiteLLM's defaults. */
export function strategySettingsOf(router: RouterSettings): StrategySettings {
  const args = router.routingStrategyArgs;
  const ttl = typeof args.ttl === 'number' && Number.isFinite(args.ttl) && args.ttl > 0 ? args.ttl : DEFAULT_LATENCY_TTL_S;
  const buffer = args.lowest_latency_buffer;
  return {
    strategy: router.routingStrategy,
    latency: { lowestLatencyBuffer: typeof buffer === 'number' && Number.isFinite(buffer) && buffer >= 0 ? buffer : 0 },
    latencyTtlMs: Math.round(ttl * 1000),
  };
}

/** Whether the strategy counts every deployment's calls (in flight, tokens), also those without limits. */
export function tracksAllUsage(strategy: string): boolean {
  return strategy === 'least-busy' || strategy === 'usage-based-routing' || strategy === 'usage-based-routing-v2';
}

/**
 * The envelope with its candidates in the strategy's order over the
 * cluster's load, the first as the chosen deployment. simple-shuffle keeps
 * the ingress's order (its weighted shuffle). Candidates unknown to this
 * limiter's config keep their place at the end.
 */
export function orderCandidates(
  envelope: CallEnvelope,
  settings: StrategySettings,
  deployments: ReadonlyMap<string, Deployment>,
  snapshot: LoadSnapshot,
  config: GatewayConfig,
  random: RandomSource = Math.random,
): CallEnvelope {
  if (!limiterOrdersFor(settings.strategy)) return envelope;
  const ids = candidateOrder(envelope);
  const known = ids.flatMap((id) => deployments.get(id) ?? []);
  if (known.length < 2) return envelope;
  const tokens = tokensToReserve(envelope, known[0]!, config);
  const ordered = orderForStrategy(settings.strategy, known, snapshot, tokens, random, settings.latency).map((deployment) => deployment.id);
  const rest = ids.filter((id) => !deployments.has(id));
  const candidates = [...ordered, ...rest];
  return { ...envelope, deploymentId: candidates[0]!, candidates };
}
