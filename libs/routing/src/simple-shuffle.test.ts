import { describe, expect, it } from 'vitest';
import type { Deployment } from '@switchyard/config';
import { seededRandom, shuffleDeployments } from './simple-shuffle.js';

function deployment(id: string, limits: Partial<Pick<Deployment, 'weight' | 'rpm' | 'tpm'>> = {}): Deployment {
  return {
    id,
    modelName: 'group',
    provider: 'mock',
    providerModel: id,
    apiBase: null,
    apiKey: null,
    apiVersion: null,
    rpm: null,
    tpm: null,
    maxParallelRequests: null,
    weight: null,
    timeoutMs: 1000,
    defaultParams: {},
    extraHeaders: {},
    modelInfo: {},
    mock: null,
    ...limits,
  } as Deployment;
}

function firstPickShares(deployments: Deployment[], draws: number): Record<string, number> {
  const random = seededRandom(42);
  const counts: Record<string, number> = {};
  for (let i = 0; i < draws; i++) {
    const first = shuffleDeployments(deployments, random)[0]!.id;
    counts[first] = (counts[first] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([id, count]) => [id, count / draws]));
}

describe('routing: simple-shuffle', () => {
  it('returns every deployment exactly once', () => {
    const group = ['a', 'b', 'c', 'd'].map((id) => deployment(id));
    const order = shuffleDeployments(group, seededRandom(1));
    expect(order.map((d) => d.id).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it.each([
    { by: 'weight', group: [deployment('a', { weight: 3 }), deployment('b', { weight: 1 })], expected: { a: 0.75, b: 0.25 } },
    { by: 'rpm', group: [deployment('a', { rpm: 100 }), deployment('b', { rpm: 300 })], expected: { a: 0.25, b: 0.75 } },
    { by: 'tpm', group: [deployment('a', { tpm: 1000 }), deployment('b', { tpm: 1000 })], expected: { a: 0.5, b: 0.5 } },
    { by: 'nothing (uniform)', group: [deployment('a'), deployment('b')], expected: { a: 0.5, b: 0.5 } },
  ])('draws the first deployment in proportion to $by', ({ group, expected }) => {
    const shares = firstPickShares(group, 20_000);
    for (const [id, share] of Object.entries(expected)) expect(shares[id]).toBeCloseTo(share, 1);
  });

  it('prefers weight over rpm when both are set', () => {
    const shares = firstPickShares([deployment('a', { weight: 1, rpm: 1 }), deployment('b', { weight: 0, rpm: 1000 })], 1000);
    expect(shares.a).toBe(1);
  });

  it('is deterministic for a seeded source', () => {
    const group = ['a', 'b', 'c'].map((id) => deployment(id));
    expect(shuffleDeployments(group, seededRandom(7)).map((d) => d.id)).toEqual(
      shuffleDeployments(group, seededRandom(7)).map((d) => d.id),
    );
  });
});
