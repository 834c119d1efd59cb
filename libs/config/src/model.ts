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
  'anthropic',
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
  /** `litellm_params.cooldown_time` in ms: overrides the router's cooldown for this deployment; null when unset. */
  cooldownTimeMs: number | null;
  /** `litellm_params.retry_on_timeout`: a timeout after sending may be retried (the provider may bill twice). */
  retryOnTimeout: boolean;
  /** Request parameters applied when the client did not set them (max_tokens, temperature, ...). */
  defaultParams: Record<string, unknown>;
  /** Headers sent to the provider on every call (`extra_headers`). */
  extraHeaders: Record<string, string>;
  modelInfo: Record<string, unknown>;
  /** `input_cost_per_token` from litellm_params (else model_info), when given. */
  inputCostPerToken: number | null;
  /** litellm_params.output_cost_per_token: with the input cost, what cost-based-routing orders by. */
  outputCostPerToken: number | null;
  /**
   * Context window in tokens (input + output), from `model_info.max_input_tokens`
   * / `max_tokens`, else the model catalogue; null when neither knows the model.
   */
  contextWindow: number | null;
  /** Largest completion the model can produce (`model_info.max_output_tokens`, else the catalogue). */
  maxOutputTokens: number | null;
  /**
   * LiteLLM's `drop_params` (litellm_settings or litellm_params): parameters the
   * provider does not accept are dropped instead of failing the call.
   */
  dropParams: boolean;
  /**
   * A wildcard route (`model_name: "anthropic/*"`, `model: openai/*`): the
   * provider model is filled in per request by `resolveModel`. Null for a plain deployment.
   */
  wildcard: WildcardRoute | null;
  mock: MockBehaviour | null;
  /**
   * Every form (raw, base64, URL-encoded, ...) of every secret this deployment's
   * calls carry, plus the gateway's own (master key, Redis password): what the
   * providers lib scrubs from provider bytes. Computed once at load; a function
   * so that logging a deployment never prints them.
   */
  secrets: () => readonly string[];
}

/** Context window and output limit of a deployment's model. */
export type ModelLimitsSource = Pick<Deployment, 'contextWindow' | 'maxOutputTokens'>;

/** LiteLLM's pattern routes: `*` in model_name matches any text, and the same text fills the `*` of the model. */
export interface WildcardRoute {
  /** The model_name as written: `*`, `openai/*`, `fo::*:static::*`. */
  pattern: string;
  /** `litellm_params.model` as written, with its `*`s (`openai/*`, `*`, `openai/gpt-*`). */
  modelTemplate: string;
  /**
   * The client's model name this copy was resolved for (`resolveModel`,
   * `deploymentFor`); null on the route as configured, whose model is not
   * callable: its `providerModel` still holds the `*`.
   */
  matched: string | null;
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

/** Every routing strategy LiteLLM accepts in `router_settings.routing_strategy`. */
export const ROUTING_STRATEGIES = [
  'simple-shuffle',
  'least-busy',
  'usage-based-routing',
  'usage-based-routing-v2',
  'latency-based-routing',
  'cost-based-routing',
] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

/** LiteLLM's error kinds of `retry_policy` and `allowed_fails_policy`. */
export const ERROR_KINDS = ['BadRequestError', 'AuthenticationError', 'TimeoutError', 'RateLimitError', 'ContentPolicyViolationError', 'InternalServerError'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** LiteLLM's defaults (`litellm.allowed_fails`, `DEFAULT_COOLDOWN_TIME_SECONDS`, `ROUTER_MAX_FALLBACKS`). */
export const DEFAULT_ALLOWED_FAILS = 3;
export const DEFAULT_COOLDOWN_TIME_MS = 5_000;
export const DEFAULT_MAX_FALLBACKS = 5;

/** Retries, fallbacks and cooldowns, as the attempt policy (libs/routing) reads them. */
export interface ReliabilitySettings {
  /** Retries after a definite failure; 0 = one attempt only (the default). router_settings, else litellm_settings. */
  numRetries: number;
  /** `retry_after` in ms: the least wait before a retry. */
  retryAfterMs: number;
  /** `retry_policy`: retries per error kind, overriding numRetries for that kind. */
  retryPolicy: Partial<Record<ErrorKind, number>>;
  /** group (or `*`) -> fallback groups, in order. */
  fallbacks: Record<string, string[]>;
  contextWindowFallbacks: Record<string, string[]>;
  contentPolicyFallbacks: Record<string, string[]>;
  /** Fallback groups of every group without its own entry. */
  defaultFallbacks: string[];
  /** Most fallback groups tried for one request. */
  maxFallbacks: number;
  /** `general_settings.allow_client_side_fallbacks`: a request's own `fallbacks` list is honoured. */
  allowClientFallbacks: boolean;
  /** Failures a deployment may have within a minute before it cools down. */
  allowedFails: number;
  /** `allowed_fails_policy`: allowed failures per error kind. */
  allowedFailsPolicy: Partial<Record<ErrorKind, number>>;
  cooldownTimeMs: number;
  disableCooldowns: boolean;
}

export interface RouterSettings {
  reliability: ReliabilitySettings;
  /** As written (default simple-shuffle); see `strategyNote` for what is executed. */
  routingStrategy: RoutingStrategy;
  /** `routing_strategy_args` as written (e.g. latency-based `ttl`, `lowest_latency_buffer`). */
  routingStrategyArgs: Record<string, unknown>;
  /** Retries after a definite failure; 0 = one attempt only (the default). router_settings, else litellm_settings. */
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
  /** Deepest nesting of arrays/objects the ingress parses; deeper bodies are a 400. */
  maxJsonDepth: number;
  /** Client connection limits of the ingress HTTP server. */
  http: HttpServerLimits;
  /** How long and how much JetStream keeps. */
  retention: RetentionLimits;
}

export interface HttpServerLimits {
  /** Time to receive the request line and headers (node `headersTimeout`). */
  headersTimeoutMs: number;
  /** Time to receive the whole request, body included (node `requestTimeout`); the response is not bounded by it. */
  bodyTimeoutMs: number;
  /** Idle time after which a kept-alive connection is closed. */
  keepAliveTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed; null = the longest deployment timeout + 30 s. */
  connectionIdleTimeoutMs: number | null;
  /** Largest request head (node `maxHeaderSize`). */
  maxHeaderBytes: number;
}

export interface RetentionLimits {
  /** The events stream (call completions, decisions, turns): age and size limits. */
  eventsMaxAgeMs: number;
  eventsMaxBytes: number;
  /** The object store of request bodies too large for one message. */
  bodiesMaxAgeMs: number;
  bodiesMaxBytes: number;
  /** The KV bucket of learned cells (one value per cell, history 1). */
  cellsMaxBytes: number;
  /** The KV bucket of virtual key and team records (one value each, history 1): what bounds each ingress replica's copy. */
  keysMaxBytes: number;
}

export interface GatewayConfig {
  /** Path of the file it came from, or `<default>`. */
  source: string;
  deployments: Deployment[];
  /** group name -> its deployments, in file order. Wildcard routes are not groups: see `wildcards`. */
  groups: Map<string, Deployment[]>;
  /**
   * Wildcard routes: pattern (model_name) -> its deployments, most specific
   * pattern first (LiteLLM's order). Their deployments are in `deployments` too.
   */
  wildcards: Map<string, Deployment[]>;
  /** alias -> group name (from model_group_alias and alias entries). */
  aliases: Map<string, string>;
  /**
   * Adaptive routers (`auto_router/...`, `adaptive_router/...` entries), kept
   * as written until the router config is implemented; never deployments.
   */
  routers: AdaptiveRouterSettings[];
  router: RouterSettings;
  general: GeneralSettings;
  litellm: LiteLLMSettings;
  /** Messages for the operator: unsupported keys, repeated keys, missing limits. Logged once at start (warn). */
  warnings: string[];
  /** How LiteLLM settings are carried out here (limits, routing strategy). Logged once at start (info). */
  notes: string[];
}

/** The `litellm_settings` Switchyard acts on. */
export interface LiteLLMSettings {
  /** `drop_params`: the default of every deployment's `dropParams`. */
  dropParams: boolean;
  /** `set_verbose`: the operator asked for debug logs (services may raise their log level). */
  setVerbose: boolean;
  /** `request_timeout` in ms: the timeout of deployments that set none; null when unset. */
  requestTimeoutMs: number | null;
}
