import type { Deployment } from '@switchyard/config';
import { shuffleDeployments, type RandomSource } from './simple-shuffle.js';

/**
 * LiteLLM's load-aware strategies as pure orders over a snapshot of
 * cluster-wide state (the limiter's Redis counters and latency averages):
 * the limiter reorders a request's candidates with them at admission.
 */

/** One deployment's load across the whole cluster at the moment of the snapshot. */
export interface DeploymentLoad {
  /** Requests admitted and not yet finished. */
  inFlight: number;
  /** Requests admitted in the current minute window. */
  requestsThisMinute: number;
  /** Tokens reserved or used in the current minute window. */
  tokensThisMinute: number;
  /** Average latency of recent calls (ms), or null before any call finished within the ttl. */
  latencyMs?: number | null;
}

/** Deployment id -> its load; a deployment missing from it has none. */
export type LoadSnapshot = ReadonlyMap<string, DeploymentLoad>;

const IDLE: DeploymentLoad = { inFlight: 0, requestsThisMinute: 0, tokensThisMinute: 0 };

function loadOf(snapshot: LoadSnapshot, deployment: Deployment): DeploymentLoad {
  return snapshot.get(deployment.id) ?? IDLE;
}

/**
 * Sorts by `key` ascending; ties keep a random order (a shuffle first, then a
 * stable sort), so equal deployments share the traffic as LiteLLM's random tie-break does.
 */
function orderBy(deployments: readonly Deployment[], key: (deployment: Deployment) => number, random: RandomSource): Deployment[] {
  const shuffled = [...deployments];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  return shuffled.sort((a, b) => key(a) - key(b));
}

/** least-busy: the deployment with the fewest requests in flight first. */
export function leastBusyOrder(deployments: readonly Deployment[], snapshot: LoadSnapshot, random: RandomSource = Math.random): Deployment[] {
  return orderBy(deployments, (deployment) => loadOf(snapshot, deployment).inFlight, random);
}

export interface UsageBasedOrder {
  /** Deployments with room for the request, least tokens used this minute first. */
  candidates: Deployment[];
  /** Deployments this request would push over their rpm or tpm (LiteLLM skips them). */
  overLimit: Deployment[];
}

/**
 * usage-based-routing (v1 and v2 choose alike; v2 only keeps the counters in
 * Redis, as Switchyard always does): skip the deployments the request would
 * push over rpm/tpm, then the one with the lowest tokens used this minute first.
 */
export function usageBasedOrder(
  deployments: readonly Deployment[],
  snapshot: LoadSnapshot,
  estimatedTokens: number,
  random: RandomSource = Math.random,
): UsageBasedOrder {
  const candidates: Deployment[] = [];
  const overLimit: Deployment[] = [];
  for (const deployment of deployments) {
    const load = loadOf(snapshot, deployment);
    const tpmFull = deployment.tpm !== null && load.tokensThisMinute + estimatedTokens > deployment.tpm;
    const rpmFull = deployment.rpm !== null && load.requestsThisMinute + 1 > deployment.rpm;
    (tpmFull || rpmFull ? overLimit : candidates).push(deployment);
  }
  return { candidates: orderBy(candidates, (deployment) => loadOf(snapshot, deployment).tokensThisMinute, random), overLimit };
}

export interface LatencyOptions {
  /**
   * routing_strategy_args.lowest_latency_buffer: deployments whose latency is
   * within this fraction of the lowest share the traffic (LiteLLM's buffer), 0 = only the lowest.
   */
  lowestLatencyBuffer: number;
}

/**
 * latency-based-routing: the lowest average latency first. A deployment with
 * no recent latency counts as 0, so a new or long-idle one is tried, as in
 * LiteLLM. Those within the buffer of the lowest count as equal (random order among them).
 */
export function latencyOrder(
  deployments: readonly Deployment[],
  snapshot: LoadSnapshot,
  options: LatencyOptions = { lowestLatencyBuffer: 0 },
  random: RandomSource = Math.random,
): Deployment[] {
  const latency = (deployment: Deployment): number => loadOf(snapshot, deployment).latencyMs ?? 0;
  const lowest = Math.min(...deployments.map(latency));
  const within = lowest * (1 + Math.max(0, options.lowestLatencyBuffer));
  return orderBy(deployments, (deployment) => (latency(deployment) <= within ? lowest : latency(deployment)), random);
}

/** Price of one input plus one output token, as LiteLLM's cost-based-routing sums them; unknown = 0. */
export function tokenPriceOf(deployment: Deployment): number {
  const input = deployment.inputCostPerToken ?? numberOr0(deployment.modelInfo?.input_cost_per_token);
  const output = deployment.outputCostPerToken ?? numberOr0(deployment.modelInfo?.output_cost_per_token);
  return input + output;
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** cost-based-routing: the cheapest deployment first (a static order; limits then decide who has headroom). */
export function costOrder(deployments: readonly Deployment[], random: RandomSource = Math.random): Deployment[] {
  return orderBy(deployments, tokenPriceOf, random);
}

/** Strategies whose order depends on cluster-wide load, read from Redis at admission. */
export function strategyReadsLoad(strategy: string): boolean {
  return strategy === 'least-busy' || strategy === 'usage-based-routing' || strategy === 'usage-based-routing-v2' || strategy === 'latency-based-routing';
}

/** Strategies the limiter orders candidates by (simple-shuffle is the ingress's own order). */
export function limiterOrdersFor(strategy: string): boolean {
  return strategyReadsLoad(strategy) || strategy === 'cost-based-routing';
}

/**
 * The order a strategy gives. For usage-based routing the deployments the
 * request would push over a limit go last rather than away: the limiter
 * then denies them with their own 429 if nothing else has room.
 */
export function orderForStrategy(
  strategy: string,
  deployments: readonly Deployment[],
  snapshot: LoadSnapshot,
  estimatedTokens: number,
  random: RandomSource = Math.random,
  latency: LatencyOptions = { lowestLatencyBuffer: 0 },
): Deployment[] {
  if (strategy === 'least-busy') return leastBusyOrder(deployments, snapshot, random);
  if (strategy === 'usage-based-routing' || strategy === 'usage-based-routing-v2') {
    const { candidates, overLimit } = usageBasedOrder(deployments, snapshot, estimatedTokens, random);
    return [...candidates, ...overLimit];
  }
  if (strategy === 'latency-based-routing') return latencyOrder(deployments, snapshot, latency, random);
  if (strategy === 'cost-based-routing') return costOrder(deployments, random);
  return shuffleDeployments(deployments, random);
}
