import { z } from 'zod';
import { REQUEST_TYPES } from '@switchyard/contracts';
import type { AdaptiveRouterSettings, Deployment } from './model.js';
import type { Problems } from './path.js';

/** `litellm_params` of an adaptive router entry (LiteLLM's adaptive router format). */
const RouterParamsSchema = z.looseObject({
  model: z.string(),
  adaptive_router_config: z.object({
    available_models: z.array(z.string().min(1)).min(1, 'name at least one model the router may pick'),
    weights: z
      .object({ quality: z.number().min(0).max(1), cost: z.number().min(0).max(1) })
      .refine((w) => Math.abs(w.quality + w.cost - 1) < 1e-9, { message: 'quality and cost must sum to 1' })
      .nullish(),
    exploration_rate: z.number().min(0).max(1).nullish(),
    /** How quality and cost combine (see `RoutingObjective` in @switchyard/routing); `weighted` is LiteLLM's score. */
    objective: z.enum(['weighted', 'cheapest_within']).nullish(),
    quality_tolerance: z.number().min(0).max(1).nullish(),
    teaching: z
      .object({
        /** Who may teach the router: `all`, `none`, or a list of caller ids (`key_<hash>` as in the audit log; `anonymous` without auth). */
        keys: z.union([z.enum(['all', 'none']), z.array(z.string().min(1)).min(1)]).nullish(),
        /** Evidence one key may add to one cell per window (null: no cap). */
        max_evidence_per_key: z.number().positive().nullable().optional(),
        window_seconds: z.number().int().min(1).max(7 * 86_400).nullish(),
        /** Weight of turns whose session the caller pinned with a minimum quality tier (0: they teach nothing). */
        constrained_pick_weight: z.number().min(0).max(1).nullish(),
        /** Weight of an explicit score (POST /v1/feedback) against one implicit signal. */
        explicit_feedback_weight: z.number().min(0).max(100).nullish(),
      })
      .strict()
      .nullish(),
  }),
});

const PreferencesSchema = z.object({
  quality_tier: z.union([z.literal(1), z.literal(2), z.literal(3)], { message: 'quality_tier must be 1, 2 or 3' }).nullish(),
  strengths: z.array(z.enum(REQUEST_TYPES)).nullish(),
});

/**
 * Defaults of a router's objective and teaching policy.
 * `maxEvidencePerKey`: no cap by default. A gateway with only its master
 * key has one caller (or `anonymous`): a cap would only slow all learning
 * down, and there are no "other keys" to protect. Once virtual keys are
 * handed out, each is a teacher of its own: set it (e.g. 25 per cell per
 * hour: more than the prior's mass of 10, an eighth of the posterior cap of 200).
 * `constrainedPickWeight` 0: a caller who pins the model with a minimum tier
 * never decides which model learns, whatever the cap.
 */
export const TEACHING_DEFAULTS = {
  qualityTolerance: 0.05,
  maxEvidencePerKey: null,
  windowSeconds: 3600,
  constrainedPickWeight: 0,
  /** An explicit score of +/-10 counts as three implicit signals: someone chose to say it. */
  explicitFeedbackWeight: 3,
} as const;

const ADAPTIVE_MODELS = /^(auto_router\/adaptive_router|adaptive_router\/.+)$/;

/**
 * Builds the adaptive routers of the file. A candidate's tier and strengths
 * come from `model_info.adaptive_router_preferences` of its group, its cost
 * from `input_cost_per_token` (in `litellm_params` or `model_info`).
 * `auto_router/<other>` entries (LiteLLM's embedding-based router) are not
 * supported: they are reported and not served.
 */
export function buildAdaptiveRouters(
  entries: Array<{ name: string; raw: Record<string, unknown>; index: number }>,
  groups: ReadonlyMap<string, Deployment[]>,
  problems: Problems,
): { routers: AdaptiveRouterSettings[]; unsupported: string[] } {
  const routers: AdaptiveRouterSettings[] = [];
  const unsupported: string[] = [];
  for (const { name, raw, index } of entries) {
    const at = ['model_list', index, 'litellm_params'];
    const model = String((raw.litellm_params as Record<string, unknown>).model);
    if (!ADAPTIVE_MODELS.test(model)) {
      unsupported.push(`model_list[${index}] ("${name}": ${model}, only auto_router/adaptive_router is supported)`);
      continue;
    }
    const parsed = RouterParamsSchema.safeParse(raw.litellm_params);
    if (!parsed.success) {
      problems.addIssues(at, parsed.error.issues);
      continue;
    }
    const settings = parsed.data.adaptive_router_config;
    const models: AdaptiveRouterSettings['models'] = [];
    settings.available_models.forEach((candidate, i) => {
      const where = [...at, 'adaptive_router_config', 'available_models', i];
      const group = groups.get(candidate);
      if (!group) {
        problems.add(where, `"${candidate}" is not a model_name in model_list (a router picks among model groups)`);
        return;
      }
      const first = group[0]!;
      const preferences = PreferencesSchema.safeParse(first.modelInfo.adaptive_router_preferences ?? {});
      if (!preferences.success) {
        problems.addIssues([...where, `(model_info.adaptive_router_preferences of "${candidate}")`], preferences.error.issues);
        return;
      }
      const cost = first.inputCostPerToken ?? Number(first.modelInfo.input_cost_per_token ?? 0);
      models.push({
        name: candidate,
        tier: preferences.data.quality_tier ?? 2,
        strengths: preferences.data.strengths ?? [],
        costPerToken: Number.isFinite(cost) && cost >= 0 ? cost : 0,
      });
    });
    if (settings.quality_tolerance != null && settings.objective !== 'cheapest_within') {
      problems.add([...at, 'adaptive_router_config', 'quality_tolerance'], 'quality_tolerance applies only to objective: cheapest_within');
      continue;
    }
    const teaching = settings.teaching ?? {};
    routers.push({
      name,
      models,
      weights: settings.weights ?? { quality: 0.7, cost: 0.3 },
      explorationRate: settings.exploration_rate ?? 1,
      objective:
        settings.objective === 'cheapest_within'
          ? { kind: 'cheapest_within', qualityTolerance: settings.quality_tolerance ?? TEACHING_DEFAULTS.qualityTolerance }
          : { kind: 'weighted' },
      teaching: {
        keys: teaching.keys ?? 'all',
        maxEvidencePerKey: teaching.max_evidence_per_key === undefined ? TEACHING_DEFAULTS.maxEvidencePerKey : teaching.max_evidence_per_key,
        windowSeconds: teaching.window_seconds ?? TEACHING_DEFAULTS.windowSeconds,
        constrainedPickWeight: teaching.constrained_pick_weight ?? TEACHING_DEFAULTS.constrainedPickWeight,
        explicitFeedbackWeight: teaching.explicit_feedback_weight ?? TEACHING_DEFAULTS.explicitFeedbackWeight,
      },
    });
  }
  return { routers, unsupported };
}
