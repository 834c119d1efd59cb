import type { Deployment } from '@switchyard/config';
import { shuffleDeployments, type RandomSource } from './simple-shuffle.js';

/**
 * LiteLLM's load-aware strategies as pure orders over a snapshot of
 * cluster-wide state (the limiter's counters), for the attempt policy to use.
 * Not wired into services yet: until then start warns that simple-shuffle runs.
 */

/** One deployment's load across the whole cluster at the moment of the snapshot. */
export interface DeploymentLoad {
  /** Requests admitted and not yet finished. */
  inFlight: number;
  /** Requests admitted in the current minute window. */
  requestsThisMinute: number;
  /** Tokens reserved or used in the current minute window. */
  tokensThisMinute: number;
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

/** The order a strategy gives, for the strategies these functions implement; others fall back to simple-shuffle. */
export function orderForStrategy(
  strategy: string,
  deployments: readonly Deployment[],
  snapshot: LoadSnapshot,
  estimatedTokens: number,
  random: RandomSource = Math.random,
): Deployment[] {
  if (strategy === 'least-busy') return leastBusyOrder(deployments, snapshot, random);
  if (strategy === 'usage-based-routing' || strategy === 'usage-based-routing-v2') {
    return usageBasedOrder(deployments, snapshot, estimatedTokens, random).candidates;
  }
  return shuffleDeployments(deployments, random);
}
