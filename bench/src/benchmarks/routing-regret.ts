import {
  betaMean,
  deltasFor,
  pickModel,
  posterior,
  priorFor,
  seededRandom,
  SIGNAL_NAMES,
  type AdaptiveRouterConfig,
  type Evidence,
  type RandomSource,
  type RequestType,
  type SignalSet,
} from '@switchyard/routing';
import { fixed, type Cell, type Table } from '../report.js';
import { lineChart } from '../svg.js';
import { HIDDEN_QUALITY, ROUTER, TYPE_MIX, utility } from './routing-scenario.js';

/*
 * The routing simulation (issue 4): conversations of a few turns, each of one
 * request type, stuck to the model its first turn got. Every turn the
 * simulated user is satisfied with probability = the model's hidden quality
 * for the type; the router learns like the learner does (satisfaction:
 * alpha + 1, failure: beta + 1, through the library's deltasFor) and picks
 * with the library's pickModel. Regret per turn = the oracle's expected
 * utility minus the chosen model's, utility being the router's own score
 * (quality weight x quality + cost weight x cost score) with the true quality.
 * Every policy sees the same conversations and the same coin flips.
 */

type PolicyName = 'oracle' | 'router' | 'router, flat prior' | 'best single model' | 'uniform random';

interface Policy {
  name: PolicyName;
  choose(type: RequestType): string;
  learn?(type: RequestType, model: string, satisfied: boolean): void;
}

const MEAN_CONVERSATION_TURNS = 3;
const COLORS: Record<PolicyName, string> = {
  oracle: '#555555',
  router: '#1f77b4',
  'router, flat prior': '#17becf',
  'best single model': '#ff7f0e',
  'uniform random': '#d62728',
};

function signals(satisfied: boolean): SignalSet {
  const set = Object.fromEntries(SIGNAL_NAMES.map((name) => [name, false])) as SignalSet;
  set[satisfied ? 'satisfaction' : 'failure'] = true;
  return set;
}

function learningRouter(name: PolicyName, router: AdaptiveRouterConfig, random: RandomSource): Policy & { evidence: Map<string, Evidence> } {
  const evidence = new Map<string, Evidence>();
  return {
    name,
    evidence,
    choose(type) {
      const result = pickModel(router, type, (model) => evidence.get(`${type}|${model}`), { random });
      if ('error' in result) throw new Error('no eligible model');
      return result.model;
    },
    learn(type, model, satisfied) {
      const key = `${type}|${model}`;
      const delta = deltasFor(signals(satisfied));
      const cell = evidence.get(key) ?? { alpha: 0, beta: 0 };
      evidence.set(key, { alpha: cell.alpha + delta.alpha, beta: cell.beta + delta.beta });
    },
  };
}

function pickType(random: RandomSource): RequestType {
  let u = random();
  for (const [type, share] of TYPE_MIX) {
    if ((u -= share) < 0) return type;
  }
  return TYPE_MIX.at(-1)![0];
}

export interface RegretOptions {
  turns: number;
  seeds: number;
}

export interface RegretResult {
  tables: Table[];
  svg: string;
  data: unknown;
}

export function simulateRegret(options: RegretOptions): RegretResult {
  const models = ROUTER.models.map((model) => model.name);
  const types = TYPE_MIX.map(([type]) => type);
  const best = new Map(types.map((type) => [type, models.reduce((a, b) => (utility(ROUTER, b, type) > utility(ROUTER, a, type) ? b : a))]));
  const single = models.reduce((a, b) => {
    const score = (m: string) => TYPE_MIX.reduce((sum, [type, share]) => sum + share * utility(ROUTER, m, type), 0);
    return score(b) > score(a) ? b : a;
  });
  const flat: AdaptiveRouterConfig = { ...ROUTER, models: ROUTER.models.map((model) => ({ ...model, tier: 2, strengths: [] })) };
  const names: PolicyName[] = ['oracle', 'router', 'router, flat prior', 'best single model', 'uniform random'];
  const step = Math.max(1, Math.floor(options.turns / 200));
  const checkpoints = [1_000, 5_000, 10_000].filter((turn) => turn <= options.turns);
  const curve = new Map(names.map((name) => [name, new Float64Array(Math.floor(options.turns / step) + 1)]));
  const onOracle = new Map(names.map((name) => [name, 0]));
  const lastWindow = Math.min(1_000, options.turns);
  let finalEvidence: Map<string, Evidence> | null = null;

  for (let seed = 1; seed <= options.seeds; seed++) {
    const world = seededRandom(seed * 7_919);
    const router = learningRouter('router', ROUTER, seededRandom(seed * 104_729 + 1));
    const policyRandom = seededRandom(seed * 104_729 + 3);
    const policies: Policy[] = [
      { name: 'oracle', choose: (type) => best.get(type)! },
      router,
      learningRouter('router, flat prior', flat, seededRandom(seed * 104_729 + 2)),
      { name: 'best single model', choose: () => single },
      { name: 'uniform random', choose: () => models[Math.floor(policyRandom() * models.length)]! },
    ];
    const regret = new Map(names.map((name) => [name, 0]));
    const stuck = new Map<PolicyName, string>();
    let type: RequestType = 'general';
    let left = 0;
    for (let turn = 1; turn <= options.turns; turn++) {
      const newConversation = left === 0;
      if (newConversation) {
        type = pickType(world);
        // Geometric length with the given mean: every turn ends it with probability 1/mean.
        left = 1;
        while (world() > 1 / MEAN_CONVERSATION_TURNS) left += 1;
      }
      left -= 1;
      const coin = world();
      const optimum = utility(ROUTER, best.get(type)!, type);
      for (const policy of policies) {
        if (newConversation) stuck.set(policy.name, policy.choose(type));
        const model = stuck.get(policy.name)!;
        regret.set(policy.name, regret.get(policy.name)! + optimum - utility(ROUTER, model, type));
        policy.learn?.(type, model, coin < HIDDEN_QUALITY[model]![type]);
        if (turn > options.turns - lastWindow && model === best.get(type)) onOracle.set(policy.name, onOracle.get(policy.name)! + 1);
        if (turn % step === 0) curve.get(policy.name)![turn / step]! += regret.get(policy.name)! / options.seeds;
      }
    }
    if (seed === 1) finalEvidence = router.evidence;
  }

  const at = (name: PolicyName, turn: number): number => curve.get(name)![Math.floor(turn / step)]!;
  const rows: Cell[][] = names.map((name) => [
    name,
    ...checkpoints.map((turn) => fixed(at(name, turn), 1)),
    `${fixed((onOracle.get(name)! / (lastWindow * options.seeds)) * 100, 1)}%`,
  ]);
  const evidence = finalEvidence ?? new Map<string, Evidence>();
  const posteriorRows: Cell[][] = types.map((type) => [
    type,
    ...ROUTER.models.map((model) => {
      const post = posterior(priorFor(model, type), evidence.get(`${type}|${model.name}`));
      return `${fixed(betaMean(post), 2)} (${fixed(HIDDEN_QUALITY[model.name]![type], 2)})`;
    }),
    best.get(type)!,
  ]);
  const svg = lineChart({
    title: `Adaptive routing: cumulative regret vs the oracle (mean of ${options.seeds} seeds)`,
    xLabel: 'turns',
    yLabel: 'cumulative regret (expected utility)',
    series: names.map((name) => ({
      name,
      color: COLORS[name],
      dashed: name === 'oracle',
      points: Array.from(curve.get(name)!, (y, i): [number, number] => [i * step, y]),
    })),
  });
  return {
    svg,
    tables: [
      {
        title: `Routing simulation: cumulative regret over ${options.turns} turns (mean of ${options.seeds} seeds)`,
        columns: ['policy', ...checkpoints.map((turn) => `regret @${turn / 1000}k`), `oracle's model, last ${lastWindow} turns`],
        rows,
        notes: [
          `${models.length} models (${ROUTER.models.map((m) => `${m.name}: tier ${m.tier}, $${(m.costPerToken * 1e6).toFixed(2)}/M tokens`).join('; ')}), ${types.length} request types, conversations of ${MEAN_CONVERSATION_TURNS} turns on average stuck to their first model.`,
          `Utility = ${ROUTER.weights.quality} x P(satisfied) + ${ROUTER.weights.cost} x cost score; regret per turn = oracle's utility - chosen model's. Best single model: ${single}.`,
          '"router": pickModel with the config prior (priorFor: tier and strengths, one strength claim wrong on purpose) + learned evidence (posterior); "flat prior": the same with every model tier 2 and no strengths.',
        ],
      },
      {
        title: 'Learned posterior mean per cell after the run, router, seed 1 (hidden quality in brackets)',
        columns: ['request type', ...models, "oracle's pick"],
        rows: posteriorRows,
      },
    ],
    data: {
      checkpoints: Object.fromEntries(names.map((name) => [name, Object.fromEntries(checkpoints.map((turn) => [turn, at(name, turn)]))])),
      onOracleLastWindow: Object.fromEntries(names.map((name) => [name, onOracle.get(name)! / (lastWindow * options.seeds)])),
      curveStep: step,
      curves: Object.fromEntries(names.map((name) => [name, Array.from(curve.get(name)!)])),
    },
  };
}
