import type { AdaptiveRouterSettings, GatewayConfig } from '@switchyard/config';
import { Errors, REQUEST_TYPES, type RequestType } from '@switchyard/contracts';
import {
  betaMean,
  classifyRequest,
  credibleInterval,
  lastUserText,
  pickModel,
  posterior,
  priorFor,
  sessionKeyOf,
  type RandomSource,
} from '@switchyard/routing';
import type { CellCache } from './cell-cache.js';
import type { FeedbackTargets } from './feedback-targets.js';
import type { SessionOwners } from './session-owners.js';

/** What the router decided for one request. */
export interface AdaptiveChoice {
  router: string;
  /** The model group that serves this request. */
  model: string;
  requestType: RequestType;
  /** Null when the conversation has no session yet: routed, not learned. */
  sessionKey: string | null;
  /** The session's owner, whose earlier response this turn's reaction judges. */
  owner: string | null;
  /** Who teaches with this turn, and how much (the router's teaching policy). */
  teaching: TurnTeaching;
}

export interface TurnTeaching {
  /** The caller id, or `anonymous` when the gateway has no auth. */
  teacher: string;
  /** 0: the caller may not teach this router, or chose the owner with a minimum tier (constrained_pick_weight). */
  weight: number;
  evidenceCap: { perTeacher: number; windowSeconds: number } | null;
  /** The caller's minimum tier chose the session's owner. */
  constrained: boolean;
}

export interface RoutingRequest {
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  callerId: string | null;
  /** The gateway's id of the request: remembered so that POST /v1/feedback can score it. */
  requestId?: string;
}

const MIN_TIER_HEADERS = ['x-switchyard-min-quality-tier', 'x-litellm-min-quality-tier'];
const SESSION_HEADER = 'x-switchyard-session-id';

/**
 * Resolves a router name to one of its models per request: classify the
 * prompt, keep a learned conversation with its owner, otherwise Thompson-
 * sample the posteriors held in memory. O(rules + models) and one Redis round
 * trip for a learned conversation; no per-session state in this process.
 */
export class AdaptiveRouting {
  readonly #routers: Map<string, AdaptiveRouterSettings>;
  readonly #cells: CellCache;
  readonly #owners: SessionOwners;
  readonly #random: RandomSource;

  readonly #targets: FeedbackTargets | null;

  constructor(config: GatewayConfig, cells: CellCache, owners: SessionOwners, random: RandomSource = Math.random, targets: FeedbackTargets | null = null) {
    this.#routers = new Map(config.routers.map((router) => [router.name, router]));
    this.#cells = cells;
    this.#owners = owners;
    this.#random = random;
    this.#targets = targets;
  }

  /** The weight of an explicit score: the router's explicit weight, times the teaching weight of the caller. */
  feedbackWeight(name: string, callerId: string | null, constrained: boolean): number {
    const router = this.#routers.get(name);
    if (!router) return 0;
    return router.teaching.explicitFeedbackWeight * teachingOf(router, callerId, constrained).weight;
  }

  evidenceCap(name: string): TurnTeaching['evidenceCap'] {
    const router = this.#routers.get(name);
    return router ? teachingOf(router, null, false).evidenceCap : null;
  }

  /**
   * Remembers what a score of this request would judge, before the request
   * goes on: a client may score it the moment its response arrives. Best
   * effort: without Redis the request is still served, only its score is refused.
   */
  async #remember(request: RoutingRequest, choice: AdaptiveChoice): Promise<AdaptiveChoice> {
    if (this.#targets && request.requestId) {
      const target = {
        router: choice.router,
        requestType: choice.requestType,
        model: choice.model,
        callerId: choice.teaching.teacher,
        constrained: choice.teaching.constrained,
      };
      await this.#targets.remember(request.requestId, target).catch(() => undefined);
    }
    return choice;
  }


  has(name: string): boolean {
    return this.#routers.has(name);
  }

  async choose(name: string, request: RoutingRequest): Promise<AdaptiveChoice> {
    const router = this.#routers.get(name);
    if (!router) throw Errors.modelNotFound(name);
    const messages = Array.isArray(request.body.messages) ? (request.body.messages as unknown[]) : [];
    const text = messages.length > 0 ? lastUserText(messages) : promptText(request.body.prompt);
    const requestType = classifyRequest(text);
    const minTier = minTierOf(request);
    const eligible = (model: string) => (router.models.find((candidate) => candidate.name === model)?.tier ?? 0) >= (minTier ?? 0);
    const sessionKey = sessionKeyOf({
      explicitId: explicitSessionId(request),
      callerId: request.callerId,
      user: typeof request.body.user === 'string' ? request.body.user : null,
      messages,
    });

    // A minimum tier that leaves out some model narrows the pick: the caller, not the bandit, decides the owner.
    const constrains = minTier !== null && router.models.some((model) => model.tier < minTier);
    const stored = sessionKey ? await this.#owners.ownerOf(router.name, sessionKey) : null;
    if (stored && eligible(stored.model)) {
      const teaching = teachingOf(router, request.callerId, stored.constrained || constrains);
      return this.#remember(request, { router: router.name, model: stored.model, requestType, sessionKey, owner: stored.model, teaching });
    }

    const picked = pickModel(router, requestType, (model) => this.#cells.evidence(router.name, requestType, model), {
      ...(minTier !== null ? { minTier } : {}),
      random: this.#random,
    });
    if ('error' in picked) {
      throw Errors.invalidRequest(
        `No model of router "${router.name}" has quality tier ${minTier} or higher (asked for by the minimum quality tier of this request).`,
        'min_quality_tier',
        'no_eligible_model',
      );
    }
    const claimed = sessionKey ? (stored ?? (await this.#owners.claim(router.name, sessionKey, picked.model, constrains))) : null;
    return this.#remember(request, {
      router: router.name,
      model: picked.model,
      requestType,
      sessionKey,
      owner: claimed?.model ?? null,
      teaching: teachingOf(router, request.callerId, (claimed?.constrained ?? false) || constrains),
    });
  }

  /** The state endpoint: every cell of each router, posterior (prior + capped evidence) and samples. */
  state(name: string | null) {
    const routers = name === null ? [...this.#routers.values()] : [this.#routers.get(name)].filter((router) => router !== undefined);
    return {
      routers: routers.map((router) => ({
        router_name: router.name,
        available_models: router.models.map((model) => model.name),
        weights: router.weights,
        objective: router.objective.kind === 'cheapest_within' ? { kind: 'cheapest_within', quality_tolerance: router.objective.qualityTolerance } : { kind: 'weighted' },
        cells: REQUEST_TYPES.flatMap((requestType) =>
          router.models.map((model) => {
            const evidence = this.#cells.evidence(router.name, requestType, model.name);
            const params = posterior(priorFor(model, requestType), evidence);
            const [low, high] = credibleInterval(params);
            const explicit = evidence?.explicit ?? { alpha: 0, beta: 0 };
            return {
              request_type: requestType,
              model: model.name,
              alpha: params.alpha,
              beta: params.beta,
              quality_mean: betaMean(params),
              samples: evidence?.samples ?? 0,
              // Why this model is (not) picked: how sure the posterior is, and where its evidence came from (before the mass cap's discount).
              credible_interval_90: [low, high],
              evidence: {
                implicit: { alpha: (evidence?.alpha ?? 0) - explicit.alpha, beta: (evidence?.beta ?? 0) - explicit.beta },
                explicit,
                by_teacher: evidence?.teachers ?? [],
              },
            };
          }),
        ),
      })),
    };
  }
}

/**
 * The teaching policy applied to one turn. Which keys may teach is decided
 * here, where the caller is known; the cap travels with the event and the
 * learner enforces it in SQL. A session whose owner the caller chose with a
 * minimum tier teaches with `constrainedPickWeight` (0 by default): the
 * header restricts what the caller is served, never which model learns.
 */
export function teachingOf(router: AdaptiveRouterSettings, callerId: string | null, constrained: boolean): TurnTeaching {
  const teacher = callerId ?? 'anonymous';
  const { keys, maxEvidencePerKey, windowSeconds, constrainedPickWeight } = router.teaching;
  const allowed = keys === 'all' || (Array.isArray(keys) && keys.includes(teacher));
  return {
    teacher,
    weight: !allowed ? 0 : constrained ? constrainedPickWeight : 1,
    evidenceCap: maxEvidencePerKey === null ? null : { perTeacher: maxEvidencePerKey, windowSeconds },
    constrained,
  };
}

function header(request: RoutingRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The minimum tier from a header or `metadata.min_quality_tier`; anything but an integer is ignored. */
function minTierOf(request: RoutingRequest): number | null {
  const metadata = request.body.metadata as Record<string, unknown> | null | undefined;
  const candidates: unknown[] = [...MIN_TIER_HEADERS.map((name) => header(request, name)), metadata?.min_quality_tier];
  for (const candidate of candidates) {
    const value = typeof candidate === 'string' && /^\s*-?\d+\s*$/.test(candidate) ? Number(candidate) : candidate;
    if (typeof value === 'number' && Number.isInteger(value)) return value;
  }
  return null;
}

function explicitSessionId(request: RoutingRequest): string | null {
  const metadata = request.body.metadata as Record<string, unknown> | null | undefined;
  for (const candidate of [metadata?.session_id, request.body.litellm_session_id, metadata?.litellm_session_id, header(request, SESSION_HEADER)]) {
    if (typeof candidate === 'string' && candidate.length > 0 && candidate.length <= 256) return candidate;
  }
  return null;
}

function promptText(prompt: unknown): string {
  if (typeof prompt === 'string') return prompt;
  return Array.isArray(prompt) && typeof prompt[0] === 'string' ? prompt[0] : '';
}
