import type { Deployment } from '@switchyard/config';

/** A source of uniform numbers in [0, 1): `Math.random` in production, seeded in tests. */
export type RandomSource = () => number;

/**
 * LiteLLM's simple-shuffle, extended to an order: the first deployment is
 * drawn with probability proportional to its weight, the next from the rest,
 * and so on. The weight is `weight`, else `rpm`, else `tpm` (the first of
 * these that any deployment of the group sets), else equal. The full order
 * gives the limiter its fallback candidates without a second draw.
 */
export function shuffleDeployments(deployments: readonly Deployment[], random: RandomSource = Math.random): Deployment[] {
  if (deployments.length <= 1) return [...deployments];
  const weightOf = weightFunction(deployments);
  const pool = deployments.map((deployment) => ({ deployment, weight: weightOf(deployment) }));
  const order: Deployment[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, entry) => sum + entry.weight, 0);
    let index = pool.length - 1;
    if (total > 0) {
      let target = random() * total;
      for (let i = 0; i < pool.length; i++) {
        target -= pool[i]!.weight;
        if (target < 0) {
          index = i;
          break;
        }
      }
    } else {
      index = Math.floor(random() * pool.length);
    }
    order.push(pool[index]!.deployment);
    pool.splice(index, 1);
  }
  return order;
}

function weightFunction(deployments: readonly Deployment[]): (deployment: Deployment) => number {
  for (const key of ['weight', 'rpm', 'tpm'] as const) {
    if (deployments.some((deployment) => deployment[key] !== null)) {
      return (deployment) => Math.max(0, deployment[key] ?? 0);
    }
  }
  return () => 1;
}

/** A deterministic random source (mulberry32) for tests and simulations. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
