import type { RequestType } from '@switchyard/contracts';
import type { Secret } from './secret.js';

/**
 * The validated, resolved gateway configuration every service reads. It is
 * derived from the YAML file (LiteLLM proxy format) by `loadGatewayConfig`.
 */

export const PROVIDERS = [
  'openai',
  'azure',
  'hosted_vllm',
  'ollama',
  'groq',
  'together_ai',
  'deepseek',
  'mistral',
  'mock',
] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface MockBehaviour {
  /** Delay before the reply (and between stream chunks: latencyMs / chunks). */
  latencyMs: number;
  /** Fixed reply text; default a deterministic echo of the last user message. */
  response: string | null;
}

export interface Deployment {
  /** Stable id: `model_info.id`, else `<model_name>/<hash of provider model + api_base>` (+ `#n` for exact duplicates). */
  id: string;
  /** The public name clients send as `model` (the group). */
  modelName: string;
  provider: ProviderName;
  /** The provider's own model id (after the `provider/` prefix). */
  providerModel: string;
  apiBase: string | null;
  apiKey: Secret | null;
  /**
   * The variable `api_key: os.environ/NAME` names when it is unset in this
   * process, else null. Services that never call providers (the ingress) load
   * the same file without the keys; the caller reports "NAME is not set".
   */
  apiKeyEnv: string | null;
  /**
   * Every `os.environ/` variable this deployment needs for a provider call that
   * is unset here (api_key, api_base, api_version): the call must fail naming
   * them rather than go to a default endpoint.
   */
  missingEnv: string[];
  /** Azure `api_version`. */
  apiVersion: string | null;
  /** Limits: null when not configured. */
  rpm: number | null;
  tpm: number | null;
  maxParallelRequests: number | null;
  /** simple-shuffle weight, when configured. */
  weight: number | null;
  timeoutMs: number;
  /** Timeout of a streaming call (`stream_timeout`), else `timeoutMs`. */
  streamTimeoutMs: number;
  /** Request parameters applied when the client did not set them (max_tokens, temperature, ...). */
  defaultParams: Record<string, unknown>;
  /** Headers sent to the provider on every call (`extra_headers`). */
  extraHeaders: Record<string, string>;
  modelInfo: Record<string, unknown>;
  /** `input_cost_per_token` from litellm_params (else model_info), when given. */
  inputCostPerToken: number | null;
  mock: MockBehaviour | null;
}

export interface AdaptiveRouterModel {
  /** A model group (model_name) the router may pick. */
  name: string;
  tier: 1 | 2 | 3;
  strengths: RequestType[];
  costPerToken: number;
}

/** An adaptive router: clients send its name as `model`, and it picks one of its models per request. */
export interface AdaptiveRouterSettings {
  name: string;
  models: AdaptiveRouterModel[];
  weights: { quality: number; cost: number };
  explorationRate: number;
  objective: { kind: 'weighted' } | { kind: 'cheapest_within'; qualityTolerance: number };
  teaching: TeachingPolicy;
}

/** Who may teach a router, and how much one key may move it (issue 18). */
export interface TeachingPolicy {
  keys: 'all' | 'none' | string[];
  /** Evidence (alpha + beta, weighted) one key may add to one cell per window; null: no cap. */
  maxEvidencePerKey: number | null;
  windowSeconds: number;
  /** Weight of the turns of a session whose owner was picked under the caller's minimum quality tier. */
  constrainedPickWeight: number;
  /** Weight of an explicit score (POST /v1/feedback), full scale, against one implicit signal. */
  explicitFeedbackWeight: number;
}

export const ROUTING_STRATEGIES = ['simple-shuffle'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

export interface RouterSettings {
  routingStrategy: RoutingStrategy;
  /** Retries after a definite failure; 0 = one attempt only (the default). */
  numRetries: number;
  /** `redis://` URL built from redis_host/port/password, when given. */
  redisUrl: Secret | null;
  /** model_group_alias: alias -> group name. */
  modelGroupAlias: Record<string, string>;
  /** Aliases declared `hidden: true`: they resolve but are not listed in `/v1/models`. */
  hiddenAliases: string[];
}

export interface GeneralSettings {
  masterKey: Secret | null;
  /** What the limiter does when Redis cannot be reached. */
  onLimiterUnavailable: 'reject' | 'allow';
  /** Maximum request body the ingress accepts, in bytes. */
  maxRequestBodyBytes: number;
  /** Completion tokens the limiter reserves when no max_tokens is set (settled to actual usage later). */
  completionTokensEstimate: number;
}

export interface GatewayConfig {
  /** Path of the file it came from, or `<default>`. */
  source: string;
  deployments: Deployment[];
  /** group name -> its deployments, in file order. */
  groups: Map<string, Deployment[]>;
  /** alias -> group name (from model_group_alias and alias entries). */
  aliases: Map<string, string>;
  /**
   * Adaptive routers (`auto_router/...`, `adaptive_router/...` entries), kept
   * as written until the router config is implemented; never deployments.
   */
  routers: AdaptiveRouterSettings[];
  router: RouterSettings;
  general: GeneralSettings;
  /** Messages for the operator: unsupported keys, missing limits. Logged once at start. */
  warnings: string[];
}
