import { BANDIT_DEFAULTS, type AdaptiveRouterConfig, type RequestType } from '@switchyard/routing';

/*
 * The routing benchmarks' world: four models as an operator would configure
 * them (tiers, strengths, prices), the quality each really has per request
 * type (hidden from the router), the mix of request types, and prompts that
 * look like real traffic.
 */

/** What the config says: the router's prior. One claim is wrong on purpose ("budget" is no reasoner). */
export const ROUTER: AdaptiveRouterConfig = {
  name: 'bench-router',
  models: [
    { name: 'frontier', tier: 3, strengths: ['technical_design', 'analytical_reasoning'], costPerToken: 10e-6 },
    { name: 'coder', tier: 2, strengths: ['code_generation', 'code_understanding'], costPerToken: 3e-6 },
    { name: 'writer', tier: 2, strengths: ['writing'], costPerToken: 2e-6 },
    { name: 'budget', tier: 1, strengths: ['factual_lookup', 'general', 'analytical_reasoning'], costPerToken: 0.2e-6 },
  ],
  weights: { ...BANDIT_DEFAULTS.weights },
  explorationRate: BANDIT_DEFAULTS.explorationRate,
};

/** The truth: P(the user is satisfied) per model and request type. */
export const HIDDEN_QUALITY: Record<string, Record<RequestType, number>> = {
  frontier: { code_generation: 0.9, code_understanding: 0.9, technical_design: 0.9, analytical_reasoning: 0.92, writing: 0.85, factual_lookup: 0.9, general: 0.88 },
  coder: { code_generation: 0.88, code_understanding: 0.85, technical_design: 0.65, analytical_reasoning: 0.55, writing: 0.4, factual_lookup: 0.6, general: 0.6 },
  writer: { code_generation: 0.35, code_understanding: 0.4, technical_design: 0.5, analytical_reasoning: 0.45, writing: 0.88, factual_lookup: 0.75, general: 0.8 },
  budget: { code_generation: 0.3, code_understanding: 0.3, technical_design: 0.3, analytical_reasoning: 0.25, writing: 0.5, factual_lookup: 0.82, general: 0.78 },
};

/** How often each request type comes. */
export const TYPE_MIX: Array<[RequestType, number]> = [
  ['code_generation', 0.25],
  ['code_understanding', 0.15],
  ['technical_design', 0.1],
  ['analytical_reasoning', 0.1],
  ['writing', 0.15],
  ['factual_lookup', 0.15],
  ['general', 0.1],
];

/** Each model's cost score as the router computes it: 1 for the cheapest, 0 for the dearest. */
export function costScores(router: AdaptiveRouterConfig): Map<string, number> {
  const costs = router.models.map((model) => model.costPerToken);
  const [cheapest, dearest] = [Math.min(...costs), Math.max(...costs)];
  return new Map(router.models.map((model) => [model.name, dearest === cheapest ? 0.5 : 1 - (model.costPerToken - cheapest) / (dearest - cheapest)]));
}

/** The expected utility of a model for a type: the router's own score with the true quality. */
export function utility(router: AdaptiveRouterConfig, model: string, type: RequestType): number {
  return router.weights.quality * HIDDEN_QUALITY[model]![type] + router.weights.cost * costScores(router).get(model)!;
}

const CODE = `function mergeIntervals(intervals) {
  intervals.sort((a, b) => a[0] - b[0]);
  const out = [];
  for (const [start, end] of intervals) {
    const last = out[out.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}
`;

/** Realistic last user messages, short to capped-long; the long unmatched one is the classifier's worst case. */
export const PROMPTS: string[] = [
  'Write a Python function that parses ISO 8601 durations and returns seconds.',
  'Build a small REST api for a todo list with express and sqlite.',
  `Explain what this function does and whether it handles empty input:\n\n${CODE}`,
  'Why does this throw an exception? TypeError: Cannot read properties of undefined (reading "map") at render (App.tsx:42)',
  'Review my pull request: it moves the session store from memory to Redis with a TTL.',
  'Design a notification service that fans out to email, SMS and push with retries.',
  'Should I use Postgres or MongoDB for an event store with 50k writes per second?',
  'Solve this equation for x: 3x^2 - 12x + 9 = 0, and show the steps.',
  'Given a fair die rolled three times, find the probability that the sum is 10.',
  'Draft an email to the team announcing the new on-call rotation starting Monday.',
  'Make this more concise: We would like to take this opportunity to let you know that the meeting has been moved.',
  'What is the capital of Australia?',
  'Who was the first person to cross the Atlantic solo by plane?',
  'Define idempotency in the context of HTTP APIs.',
  'thanks, that works now!',
  `Here is some context from our incident notes. ${'The cluster ran for several hours with elevated latency while the team looked at dashboards and logs from many hosts. '.repeat(24)}`,
];
