import { describe, expect, it } from 'vitest';
import { BANDIT_DEFAULTS, betaMean, credibleInterval, pickModel, posterior, priorFor, sampleBeta } from './bandit.js';
import type { AdaptiveRouterConfig, AdaptiveRouterModel, Evidence, PickResult } from './bandit.js';
import { seededRandom } from './simple-shuffle.js';
import type { RandomSource } from './simple-shuffle.js';

function model(name: string, tier: 1 | 2 | 3, costPerToken: number, strengths: AdaptiveRouterModel['strengths'] = []): AdaptiveRouterModel {
  return { name, tier, costPerToken, strengths };
}

function router(models: AdaptiveRouterModel[], overrides: Partial<AdaptiveRouterConfig> = {}): AdaptiveRouterConfig {
  return { name: 'smart', models, weights: { quality: 0.7, cost: 0.3 }, explorationRate: 0, ...overrides };
}

const noEvidence = (): Evidence | undefined => undefined;

/** A source that fails the test if the code under test draws from it. */
const noRandomness: RandomSource = () => {
  throw new Error('drew a random number');
};

function picked(result: PickResult): Extract<PickResult, { model: string }> {
  if ('error' in result) throw new Error(`expected a pick, got ${result.error}`);
  return result;
}

describe('routing: bandit prior', () => {
  it.each([
    { tier: 1, strong: false, mean: 0.3 },
    { tier: 1, strong: true, mean: 0.6 },
    { tier: 2, strong: false, mean: 0.5 },
    { tier: 2, strong: true, mean: 0.8 },
    { tier: 3, strong: false, mean: 0.7 },
    { tier: 3, strong: true, mean: 0.95 },
  ] as const)('routing: tier $tier, strength $strong has prior mean $mean and mass 10', ({ tier, strong, mean }) => {
    const prior = priorFor(model('m', tier, 0, strong ? ['code_generation'] : ['writing']), 'code_generation');
    expect(prior.alpha).toBeCloseTo(10 * mean, 12);
    expect(prior.beta).toBeCloseTo(10 * (1 - mean), 12);
    expect(prior.alpha + prior.beta).toBeCloseTo(BANDIT_DEFAULTS.priorMass, 12);
  });
});

describe('routing: bandit posterior and the evidence cap', () => {
  const prior = { alpha: 5, beta: 5 };

  it.each([
    { name: 'no evidence', evidence: undefined, expected: { alpha: 5, beta: 5 } },
    { name: 'evidence below the cap', evidence: { alpha: 3, beta: 4.5 }, expected: { alpha: 8, beta: 9.5 } },
    { name: 'evidence filling the cap exactly', evidence: { alpha: 100, beta: 90 }, expected: { alpha: 105, beta: 95 } },
    { name: 'negative evidence (a bad row)', evidence: { alpha: -3, beta: 2 }, expected: { alpha: 5, beta: 7 } },
  ])('routing: posterior with $name is prior + evidence exactly', ({ evidence, expected }) => {
    expect(posterior(prior, evidence)).toEqual(expected);
  });

  it.each([
    { evidence: { alpha: 300, beta: 100 }, cap: 200 },
    { evidence: { alpha: 1, beta: 10_000 }, cap: 200 },
    { evidence: { alpha: 50, beta: 50 }, cap: 60 },
    { evidence: { alpha: 7, beta: 0 }, cap: 12 },
  ])('routing: evidence $evidence over cap $cap is scaled to the cap, keeping its mean', ({ evidence, cap }) => {
    const result = posterior(prior, evidence, cap);
    expect(result.alpha + result.beta).toBeCloseTo(cap, 9);
    const learnedMean = (result.alpha - prior.alpha) / (result.alpha + result.beta - 10);
    expect(learnedMean).toBeCloseTo(evidence.alpha / (evidence.alpha + evidence.beta), 12);
  });

  it('routing: mass never exceeds the cap, for any evidence', () => {
    const random = seededRandom(3);
    for (let i = 0; i < 1_000; i++) {
      const evidence = { alpha: random() * 10 ** (random() * 6), beta: random() * 10 ** (random() * 6) };
      const result = posterior(priorFor(model('m', 2, 0), 'general'), evidence);
      expect(result.alpha + result.beta).toBeLessThanOrEqual(BANDIT_DEFAULTS.massCap + 1e-9);
    }
  });

  it('routing: over the cap, a new signal still moves the posterior (nothing is dropped)', () => {
    const before = posterior(prior, { alpha: 500, beta: 500 });
    const afterSuccess = posterior(prior, { alpha: 501, beta: 500 });
    const afterFailure = posterior(prior, { alpha: 500, beta: 501 });
    expect(betaMean(afterSuccess)).toBeGreaterThan(betaMean(before));
    expect(betaMean(afterFailure)).toBeLessThan(betaMean(before));
  });

  it('routing: a cap below the prior mass leaves the prior alone', () => {
    expect(posterior(prior, { alpha: 4, beta: 1 }, 8)).toEqual(prior);
  });
});

/** Draws `count` samples of Beta(a, b); returns their mean and variance. */
function sampleMoments(a: number, b: number, count: number, seed: number): { mean: number; variance: number; min: number; max: number } {
  const random = seededRandom(seed);
  let sum = 0;
  let sumOfSquares = 0;
  let min = 1;
  let max = 0;
  for (let i = 0; i < count; i++) {
    const x = sampleBeta(a, b, random);
    sum += x;
    sumOfSquares += x * x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = sum / count;
  return { mean, variance: sumOfSquares / count - mean * mean, min, max };
}

describe('routing: beta sampler', () => {
  it.each([
    { a: 1, b: 1 },
    { a: 2, b: 5 },
    { a: 0.5, b: 0.5 },
    { a: 0.2, b: 3 },
    { a: 9.5, b: 0.5 },
    { a: 50, b: 150 },
    { a: 0.05, b: 0.05 },
  ])('routing: 20,000 draws of Beta($a, $b) have its mean and variance', ({ a, b }) => {
    const count = 20_000;
    const expectedMean = a / (a + b);
    const expectedVariance = (a * b) / ((a + b) ** 2 * (a + b + 1));
    const { mean, variance, min, max } = sampleMoments(a, b, count, 11);
    // Four standard errors of the mean; 5% on the variance.
    expect(Math.abs(mean - expectedMean)).toBeLessThan(4 * Math.sqrt(expectedVariance / count));
    expect(Math.abs(variance - expectedVariance) / expectedVariance).toBeLessThan(0.05);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
  });

  it('routing: the same seed gives the same draws, another seed others', () => {
    const draws = (seed: number): number[] => {
      const random = seededRandom(seed);
      return Array.from({ length: 20 }, () => sampleBeta(2, 3, random));
    };
    expect(draws(5)).toEqual(draws(5));
    expect(draws(5)).not.toEqual(draws(6));
  });

  it.each([
    { a: 0, b: 1 },
    { a: 1, b: -2 },
    { a: Number.NaN, b: 1 },
    { a: 1, b: Number.POSITIVE_INFINITY },
  ])('routing: Beta($a, $b) is rejected', ({ a, b }) => {
    expect(() => sampleBeta(a, b, seededRandom(1))).toThrow(RangeError);
  });

  it.each([
    { name: 'always 0', random: () => 0 },
    { name: 'always just below 1', random: () => 0.999999 },
    { name: 'always 0.5', random: () => 0.5 },
  ])('routing: a stuck source ($name) still gives a number in [0, 1]', ({ random }) => {
    for (const [a, b] of [[0.3, 0.3], [2, 2], [40, 3]] as const) {
      const x = sampleBeta(a, b, random);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
    }
  });

  it('routing: tiny shapes give 0 or 1, never NaN', () => {
    const random = seededRandom(9);
    for (let i = 0; i < 1_000; i++) expect(Number.isNaN(sampleBeta(1e-4, 1e-4, random))).toBe(false);
  });
});

describe('routing: pickModel scoring', () => {
  const cheap = model('cheap', 1, 1);
  const mid = model('mid', 2, 3);
  const frontier = model('frontier', 3, 11);

  it('routing: cost-only weights pick the cheapest and score cost linearly', () => {
    const result = picked(pickModel(router([frontier, mid, cheap], { weights: { quality: 0, cost: 1 } }), 'general', noEvidence, { random: noRandomness }));
    expect(result.model).toBe('cheap');
    expect(result.scores.map((s) => [s.model, s.costScore])).toEqual([['frontier', 0], ['mid', 0.8], ['cheap', 1]]);
  });

  it('routing: quality-only weights pick the best posterior mean', () => {
    const r = router([cheap, mid, frontier], { weights: { quality: 1, cost: 0 } });
    expect(picked(pickModel(r, 'general', noEvidence, { random: noRandomness })).model).toBe('frontier');
    const evidence = (name: string): Evidence | undefined => (name === 'cheap' ? { alpha: 90, beta: 0 } : { alpha: 0, beta: 50 });
    expect(picked(pickModel(r, 'general', evidence, { random: noRandomness })).model).toBe('cheap');
  });

  it('routing: a strength of the request type raises the prior', () => {
    const r = router([model('writer', 2, 0, ['writing']), model('coder', 2, 0, ['code_generation'])], { weights: { quality: 1, cost: 0 } });
    expect(picked(pickModel(r, 'writing', noEvidence, { random: noRandomness })).model).toBe('writer');
    expect(picked(pickModel(r, 'code_generation', noEvidence, { random: noRandomness })).model).toBe('coder');
  });

  it('routing: equal costs give every model a cost score of 0.5, and a tie goes to the first listed', () => {
    const result = picked(pickModel(router([model('a', 2, 0), model('b', 2, 0)]), 'general', noEvidence, { random: noRandomness }));
    expect(result.scores.map((s) => s.costScore)).toEqual([0.5, 0.5]);
    expect(result.scores[0]!.score).toBeCloseTo(0.7 * 0.5 + 0.3 * 0.5, 12);
    expect(result.model).toBe('a');
  });

  it('routing: exploration rate 0 uses the posterior mean, draws nothing and repeats itself', () => {
    const evidence = (): Evidence => ({ alpha: 3, beta: 1 });
    const first = picked(pickModel(router([cheap, mid, frontier]), 'general', evidence, { random: noRandomness }));
    expect(first.explored).toBe(false);
    for (const score of first.scores) expect(score.quality).toBe(score.alpha / (score.alpha + score.beta));
    expect(pickModel(router([cheap, mid, frontier]), 'general', evidence, { random: noRandomness })).toEqual(first);
  });

  it('routing: exploration rate 1 Thompson-samples, deterministically for a seed', () => {
    const r = router([cheap, mid, frontier], { explorationRate: 1 });
    const first = picked(pickModel(r, 'general', noEvidence, { random: seededRandom(4) }));
    expect(first.explored).toBe(true);
    expect(first.scores.some((s) => s.quality !== betaMean(s))).toBe(true);
    expect(pickModel(r, 'general', noEvidence, { random: seededRandom(4) })).toEqual(first);
  });

  it('routing: Thompson sampling favours the model with the better evidence without starving the other', () => {
    const r = router([model('good', 2, 0), model('bad', 2, 0)], { explorationRate: 1, weights: { quality: 1, cost: 0 } });
    const evidence = (name: string): Evidence => (name === 'good' ? { alpha: 8, beta: 2 } : { alpha: 4, beta: 6 });
    const random = seededRandom(21);
    let good = 0;
    for (let i = 0; i < 2_000; i++) if (picked(pickModel(r, 'general', evidence, { random })).model === 'good') good++;
    expect(good / 2_000).toBeGreaterThan(0.8);
    expect(good / 2_000).toBeLessThan(0.99);
  });

  it('routing: an exploration rate of 0.25 explores about a quarter of the picks', () => {
    const r = router([cheap, mid], { explorationRate: 0.25 });
    const random = seededRandom(8);
    let explored = 0;
    for (let i = 0; i < 4_000; i++) if (picked(pickModel(r, 'general', noEvidence, { random })).explored) explored++;
    expect(explored / 4_000).toBeCloseTo(0.25, 1);
  });

  it('routing: the mass cap option bounds the posterior used to score', () => {
    const result = picked(pickModel(router([cheap]), 'general', () => ({ alpha: 1_000, beta: 1_000 }), { random: noRandomness, massCap: 50 }));
    expect(result.scores[0]!.alpha + result.scores[0]!.beta).toBeCloseTo(50, 9);
  });
});

describe('routing: pickModel tier floor', () => {
  const models = [model('budget', 1, 1), model('mid', 2, 2), model('top', 3, 4)];

  it.each([
    { minTier: undefined, eligible: ['budget', 'mid', 'top'] },
    { minTier: 1, eligible: ['budget', 'mid', 'top'] },
    { minTier: 2, eligible: ['mid', 'top'] },
    { minTier: 3, eligible: ['top'] },
  ])('routing: minimum tier $minTier leaves $eligible', ({ minTier, eligible }) => {
    const result = picked(pickModel(router(models, { weights: { quality: 0, cost: 1 } }), 'general', noEvidence, { minTier, random: noRandomness }));
    expect(result.scores.map((s) => s.model)).toEqual(eligible);
    // Cost is normalised over the eligible models: the cheapest of them scores 1.
    expect(result.model).toBe(eligible[0]);
    expect(result.scores[0]!.costScore).toBe(eligible.length === 1 ? 0.5 : 1);
  });

  it.each([4, 10])('routing: minimum tier %i leaves no eligible model and says which tier was asked', (minTier) => {
    expect(pickModel(router(models), 'general', noEvidence, { minTier, random: noRandomness })).toEqual({ error: 'no_eligible_model', minTier });
  });

  it('routing: a router without models has no eligible model', () => {
    expect(pickModel(router([]), 'general', noEvidence, { random: noRandomness })).toEqual({ error: 'no_eligible_model', minTier: 1 });
  });
});

describe('routing: pickModel objectives', () => {
  // The pair: a cheap model and one 33 times dearer, both with learned means (exploration 0: means decide).
  const cheap = model('cheap', 2, 0.3e-6);
  const dear = model('dear', 2, 10e-6);
  const evidence = (cheapMean: number, dearMean: number) => (name: string): Evidence => {
    const mean = name === 'cheap' ? cheapMean : dearMean;
    return { alpha: 190 * mean, beta: 190 * (1 - mean) };
  };
  const meanOf = (result: PickResult, name: string) => picked(result).scores.find((score) => score.model === name)!.quality;

  it('routing: weighted (the default) keeps the cheap model unless the dear one is better by more than w_cost / w_quality', () => {
    const r = router([cheap, dear]);
    // posterior means ~0.45 vs ~0.84: a gap of 0.39 < 0.43, the cheap model still wins.
    const result = pickModel(r, 'code_generation', evidence(0.45, 0.85), { random: noRandomness });
    expect(meanOf(result, 'dear') - meanOf(result, 'cheap')).toBeLessThan(0.3 / 0.7);
    expect(picked(result).model).toBe('cheap');
    expect(picked(pickModel(r, 'code_generation', evidence(0.35, 0.85), { random: noRandomness })).model).toBe('dear');
  });

  it.each([
    { name: 'a clear quality gap', cheapMean: 0.45, dearMean: 0.85, expected: 'dear' },
    { name: 'a gap inside the tolerance', cheapMean: 0.82, dearMean: 0.85, expected: 'cheap' },
    { name: 'the cheap model better', cheapMean: 0.9, dearMean: 0.85, expected: 'cheap' },
    { name: 'a gap just beyond the tolerance', cheapMean: 0.77, dearMean: 0.85, expected: 'dear' },
  ])('routing: cheapest_within 0.05 with $name picks $expected', ({ cheapMean, dearMean, expected }) => {
    const r = router([cheap, dear], { objective: { kind: 'cheapest_within', qualityTolerance: 0.05 } });
    expect(picked(pickModel(r, 'code_generation', evidence(cheapMean, dearMean), { random: noRandomness })).model).toBe(expected);
  });

  it('routing: cheapest_within picks the cheapest of three inside the band, and a tie in price goes to the first listed', () => {
    const mid = model('mid', 2, 3e-6);
    const r = router([dear, mid, cheap], { objective: { kind: 'cheapest_within', qualityTolerance: 0.1 } });
    const means: Record<string, number> = { dear: 0.9, mid: 0.85, cheap: 0.6 };
    const cells = (name: string): Evidence => ({ alpha: 190 * means[name]!, beta: 190 * (1 - means[name]!) });
    expect(picked(pickModel(r, 'writing', cells, { random: noRandomness })).model).toBe('mid');
    const twins = router([model('a', 2, 1e-6), model('b', 2, 1e-6)], { objective: { kind: 'cheapest_within', qualityTolerance: 0.1 } });
    expect(picked(pickModel(twins, 'writing', noEvidence, { random: noRandomness })).model).toBe('a');
  });

  it('routing: cheapest_within Thompson-samples like weighted when exploring', () => {
    const r = router([cheap, dear], { explorationRate: 1, objective: { kind: 'cheapest_within', qualityTolerance: 0.05 } });
    const random = seededRandom(7);
    const picks = Array.from({ length: 400 }, () => picked(pickModel(r, 'code_generation', evidence(0.45, 0.85), { random })).model);
    expect(picks.filter((name) => name === 'dear').length).toBeGreaterThan(390);
  });
});

describe('routing: credible intervals', () => {
  it.each([
    { params: { alpha: 1, beta: 1 }, interval: [0.05, 0.95] },
    { params: { alpha: 2, beta: 1 }, interval: [Math.sqrt(0.05), Math.sqrt(0.95)] },
    { params: { alpha: 1, beta: 3 }, interval: [1 - Math.cbrt(0.95), 1 - Math.cbrt(0.05)] },
  ])('routing: the 90% interval of Beta($params.alpha, $params.beta) is exact where it has a closed form', ({ params, interval }) => {
    const [low, high] = credibleInterval(params);
    expect(low).toBeCloseTo(interval[0]!, 6);
    expect(high).toBeCloseTo(interval[1]!, 6);
  });

  it('routing: more evidence narrows the interval around the mean', () => {
    const [a, b] = credibleInterval({ alpha: 7, beta: 3 });
    const [c, d] = credibleInterval({ alpha: 140, beta: 60 });
    expect(d - c).toBeLessThan((b - a) / 3);
    expect(c).toBeLessThan(0.7);
    expect(d).toBeGreaterThan(0.7);
  });
});
