/**
 * The adaptive router's Thompson-sampling bandit (spec: "Bandit"): one
 * Beta(alpha, beta) cell per (router, request type, model), a prior from the
 * config, evidence learned from signals, and the pick that scores quality
 * against cost. Pure: randomness comes from the injected `RandomSource`.
 */
import type { RequestType } from './classifier.js';
import type { RandomSource } from './simple-shuffle.js';

export type QualityTier = 1 | 2 | 3;

/** One candidate model of a router, as the config package resolves it. */
export interface AdaptiveRouterModel {
  /** The `model_name` the router routes to. */
  name: string;
  tier: QualityTier;
  strengths: readonly RequestType[];
  /** `input_cost_per_token`; 0 when the config gives none. */
  costPerToken: number;
}

/**
 * How a pick combines quality and cost.
 *
 * - `weighted` (LiteLLM's score, the default): score = w_quality x q +
 *   w_cost x cost_score, where cost_score = 1 - (c - min) / (max - min) over
 *   the eligible models. The cost term is min-max normalised: it swings by
 *   w_cost between the cheapest and the dearest model whatever their price
 *   ratio (1.1x or 33x alike), so with weights 0.7 / 0.3 the dearest model
 *   is picked only when its quality beats the cheapest one's by more than
 *   0.3 / 0.7 = 0.43. That is what the weights mean, and rarely what an
 *   operator means.
 * - `cheapest_within`: the cheapest model whose quality (a Thompson draw, or
 *   the mean when not exploring) is within `qualityTolerance` of the best
 *   model's. Quality first, then price: "don't pay for quality nobody notices".
 */
export type RoutingObjective = { kind: 'weighted' } | { kind: 'cheapest_within'; qualityTolerance: number };

export interface AdaptiveRouterConfig {
  name: string;
  models: readonly AdaptiveRouterModel[];
  /** Each in [0, 1], summing to 1 (validated by the config package). Used by the `weighted` objective. */
  weights: { quality: number; cost: number };
  /** Probability of Thompson-sampling a pick; otherwise the posterior means are used. */
  explorationRate: number;
  /** Default `weighted`. */
  objective?: RoutingObjective;
}

/** Parameters of a Beta distribution. */
export interface BetaParams {
  alpha: number;
  beta: number;
}

/** Learned evidence of a cell: the sums of its signal deltas (what Postgres stores). */
export type Evidence = BetaParams;

/** Every constant of the bandit, in one place; the router config may override weights and exploration. */
export const BANDIT_DEFAULTS = {
  /** Prior quality mean by tier: 1 budget, 2 mid, 3 frontier. */
  tierBase: { 1: 0.3, 2: 0.5, 3: 0.7 } as const satisfies Record<QualityTier, number>,
  /** Added to the prior mean for a request type among the model's strengths. */
  strengthBonus: 0.3,
  /** No prior is certain: Beta(alpha, 0) is not a distribution. */
  maxPriorMean: 0.95,
  /** Prior pseudo-observations: ten signals move a prior halfway. */
  priorMass: 10,
  /** Most pseudo-observations a posterior holds (prior + discounted evidence). */
  massCap: 200,
  weights: { quality: 0.7, cost: 0.3 },
  explorationRate: 1,
  /** `cheapest_within`: how much expected quality an operator trades for a cheaper model. */
  qualityTolerance: 0.05,
  /** Tier of a model whose config gives none (read by the config package). */
  defaultTier: 2 as QualityTier,
} as const;

/** The config prior of a model for a request type; never stored, so a config change takes effect at once. */
export function priorFor(model: Pick<AdaptiveRouterModel, 'tier' | 'strengths'>, type: RequestType): BetaParams {
  const base = BANDIT_DEFAULTS.tierBase[model.tier];
  const bonus = model.strengths.includes(type) ? BANDIT_DEFAULTS.strengthBonus : 0;
  const mean = Math.min(BANDIT_DEFAULTS.maxPriorMean, base + bonus);
  return { alpha: BANDIT_DEFAULTS.priorMass * mean, beta: BANDIT_DEFAULTS.priorMass * (1 - mean) };
}

/**
 * Prior + evidence, with the evidence discounted at read time so that the
 * total mass stays at most `cap`.
 *
 * Why: LiteLLM stops updating a cell once alpha + beta > 200, silently
 * ignoring every later signal. Here the stored evidence keeps growing (atomic
 * adds, nothing dropped) and is scaled by (cap - prior mass) / evidence mass
 * when it would overflow. The evidence's own mean is kept exactly, each new
 * signal still moves it, and the posterior never gets more certain than
 * `cap` observations allow, so Thompson sampling keeps exploring a cell that
 * has a long history. Below the cap, the posterior is prior + evidence exactly.
 * Recent signals are not weighted above old ones: that needs a time decay at
 * write time, which additive upserts cannot express.
 *
 * Negative evidence (impossible through signals, possible through a bad row)
 * counts as none, so a posterior is always a valid Beta.
 */
export function posterior(prior: BetaParams, evidence: Evidence | undefined, cap: number = BANDIT_DEFAULTS.massCap): BetaParams {
  const alpha = Math.max(0, evidence?.alpha ?? 0);
  const beta = Math.max(0, evidence?.beta ?? 0);
  const evidenceMass = alpha + beta;
  const room = Math.max(0, cap - (prior.alpha + prior.beta));
  const scale = evidenceMass > room ? room / evidenceMass : 1;
  return { alpha: prior.alpha + alpha * scale, beta: prior.beta + beta * scale };
}

export function betaMean({ alpha, beta }: BetaParams): number {
  return alpha / (alpha + beta);
}

/** Enough for any real uniform source (each try is accepted with p > 0.95); a stuck source ends, not hangs. */
const MAX_GAMMA_TRIES = 100;

/** A uniform in (0, 1]: safe to take the log of. */
function positiveUniform(random: RandomSource): number {
  return 1 - random();
}

/** A standard normal draw (Box–Muller; the second value of the pair is dropped to keep no state). */
function standardNormal(random: RandomSource): number {
  const radius = Math.sqrt(-2 * Math.log(positiveUniform(random)));
  return radius * Math.cos(2 * Math.PI * random());
}

/**
 * log of a Gamma(shape, 1) draw. Marsaglia–Tsang for shape >= 1; for shape < 1
 * the boost Gamma(shape) = Gamma(shape + 1) * U^(1/shape), added in log space
 * because U^(1/shape) underflows to 0 for tiny shapes.
 */
function logGammaDraw(shape: number, random: RandomSource): number {
  if (shape < 1) return logGammaDraw(shape + 1, random) + Math.log(positiveUniform(random)) / shape;
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (let attempt = 0; attempt < MAX_GAMMA_TRIES; attempt++) {
    const x = standardNormal(random);
    const base = 1 + c * x;
    if (base <= 0) continue;
    const v = base * base * base;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return Math.log(d * v);
  }
  return Math.log(shape);
}

/**
 * A Beta(alpha, beta) draw from two Gamma draws, X / (X + Y), computed from
 * their logs so that tiny shapes give 0 or 1, never NaN.
 */
export function sampleBeta(alpha: number, beta: number, random: RandomSource): number {
  if (!(alpha > 0 && beta > 0 && Number.isFinite(alpha) && Number.isFinite(beta))) {
    throw new RangeError(`Beta parameters must be finite and positive, got (${alpha}, ${beta})`);
  }
  const logX = logGammaDraw(alpha, random);
  const logY = logGammaDraw(beta, random);
  return 1 / (1 + Math.exp(logY - logX));
}

export interface ModelScore {
  model: string;
  /** The posterior the quality came from. */
  alpha: number;
  beta: number;
  /** A Beta draw when the pick explored, else the posterior mean. */
  quality: number;
  costScore: number;
  score: number;
}

export type PickResult =
  | { model: string; explored: boolean; scores: ModelScore[] }
  | { error: 'no_eligible_model'; minTier: number };

export interface PickOptions {
  /** Only models of this tier or above are candidates (request header / metadata). */
  minTier?: number;
  random: RandomSource;
  /** Posterior mass cap; defaults to `BANDIT_DEFAULTS.massCap`. */
  massCap?: number;
}

/**
 * Picks the model of `router` for a request of `type`. `cells` gives the
 * learned evidence of a model's cell (undefined: none yet). With probability
 * `explorationRate` the pick Thompson-samples every candidate's quality, else
 * it uses the posterior means; one coin per pick, so a pick is either fully
 * exploring or fully greedy. Highest score wins; a tie goes to the model
 * listed first in the config.
 */
export function pickModel(
  router: AdaptiveRouterConfig,
  type: RequestType,
  cells: (model: string) => Evidence | undefined,
  options: PickOptions,
): PickResult {
  const minTier = options.minTier ?? 1;
  const eligible = router.models.filter((model) => model.tier >= minTier);
  if (eligible.length === 0) return { error: 'no_eligible_model', minTier };

  const costs = eligible.map((model) => model.costPerToken);
  const cheapest = Math.min(...costs);
  const dearest = Math.max(...costs);
  // No coin is drawn when the rate decides alone, so a rate of 0 or 1 consumes no randomness for it.
  const explored =
    router.explorationRate >= 1 ? true : router.explorationRate <= 0 ? false : options.random() < router.explorationRate;

  const objective = router.objective ?? { kind: 'weighted' };
  const scores = eligible.map((model): ModelScore => {
    const { alpha, beta } = posterior(priorFor(model, type), cells(model.name), options.massCap);
    const quality = explored ? sampleBeta(alpha, beta, options.random) : betaMean({ alpha, beta });
    const costScore = dearest === cheapest ? 0.5 : 1 - (model.costPerToken - cheapest) / (dearest - cheapest);
    const score = router.weights.quality * quality + router.weights.cost * costScore;
    return { model: model.name, alpha, beta, quality, costScore, score };
  });
  if (objective.kind === 'cheapest_within') {
    // Score: 1 + cost score inside the tolerance band (cheapest wins), the quality alone outside it (never above 1).
    const top = Math.max(...scores.map((entry) => entry.quality));
    for (const entry of scores) entry.score = entry.quality >= top - objective.qualityTolerance ? 1 + entry.costScore : entry.quality;
  }
  // Strictly greater replaces the leader, so ties stay with the earlier model.
  const best = scores.reduce((leader, entry) => (entry.score > leader.score ? entry : leader));
  return { model: best.model, explored, scores };
}

/** ln Gamma(x) (Lanczos, g = 7): enough digits for credible intervals. */
function logGamma(x: number): number {
  const c = [0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The continued fraction of the incomplete beta function (Lentz), as in Numerical Recipes' betacf. */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 / (Math.abs(1 + aa * d) < tiny ? tiny : 1 + aa * d);
    c = Math.abs(1 + aa / c) < tiny ? tiny : 1 + aa / c;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 / (Math.abs(1 + aa * d) < tiny ? tiny : 1 + aa * d);
    c = Math.abs(1 + aa / c) < tiny ? tiny : 1 + aa / c;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-12) break;
  }
  return h;
}

/** The Beta(a, b) cumulative distribution at x (the regularized incomplete beta function). */
export function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** The central credible interval of Beta(alpha, beta) holding `mass` of it (bisection on the CDF: 50 halvings). */
export function credibleInterval({ alpha, beta }: BetaParams, mass = 0.9): [number, number] {
  const quantile = (p: number): number => {
    let low = 0;
    let high = 1;
    for (let i = 0; i < 50; i++) {
      const mid = (low + high) / 2;
      if (betaCdf(mid, alpha, beta) < p) low = mid;
      else high = mid;
    }
    return (low + high) / 2;
  };
  return [quantile((1 - mass) / 2), quantile(1 - (1 - mass) / 2)];
}
