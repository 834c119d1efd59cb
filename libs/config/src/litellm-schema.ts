import { z } from 'zod';
import { ROUTING_STRATEGIES } from './model.js';

/**
 * The LiteLLM proxy YAML format, for the parts Switchyard supports. Objects
 * strip unknown keys rather than reject them: a LiteLLM user's file must load,
 * and `findUnsupportedKeys` reports what was left out instead.
 *
 * Optional fields are `nullish` because `api_base:` with no value is a common
 * way to leave a field unset in YAML.
 */

export const DEFAULT_TIMEOUT_SECONDS = 600;
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 16 * 1024 * 1024;
export const ADAPTIVE_ROUTER_PREFIXES = ['auto_router/', 'adaptive_router/'] as const;
/** Fields only the mock provider honours; elsewhere they are reported as unsupported. */
export const MOCK_ONLY_PARAMS = ['mock_response', 'mock_latency_ms'] as const;

const text = z.string().min(1, 'must not be empty');
const positiveInt = z.number().int().positive();

/** YAML 1.1 reads an unquoted `2024-02-01` as a date (PyYAML too); Azure wants the text. */
const apiVersionSchema = z.union([text, z.date().transform((date) => date.toISOString().slice(0, 10))]);

export const LiteLLMParamsSchema = z.object({
  /** `provider/model`, a bare model name, or a wildcard; read by provider.ts. */
  model: text,
  api_base: text.nullish(),
  api_key: text.nullish(),
  api_version: apiVersionSchema.nullish(),
  /** A `credential_list` entry whose values fill api_key / api_base / api_version. */
  litellm_credential_name: text.nullish(),
  drop_params: z.boolean().nullish(),
  rpm: positiveInt.nullish(),
  tpm: positiveInt.nullish(),
  max_parallel_requests: positiveInt.nullish(),
  weight: z.number().positive().nullish(),
  /** Seconds, as in LiteLLM. */
  timeout: z.number().positive().nullish(),
  stream_timeout: z.number().positive().nullish(),
  max_tokens: positiveInt.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  extra_headers: z.record(z.string(), z.string()).nullish(),
  mock_response: z.string().nullish(),
  mock_latency_ms: z.number().int().min(0).nullish(),
  /** Price per input token: the cost an adaptive router weighs. */
  input_cost_per_token: z.number().min(0).nullish(),
  output_cost_per_token: z.number().min(0).nullish(),
  /** Seconds this deployment cools down after too many failures (LiteLLM's per-deployment override). */
  cooldown_time: z.number().min(0).nullish(),
  /**
   * Switchyard's own: a timeout after the request was sent may be retried on
   * another deployment. Off by default: the provider may have done (and billed) the work.
   */
  retry_on_timeout: z.boolean().nullish(),
});
export type LiteLLMParams = z.infer<typeof LiteLLMParamsSchema>;

export const ModelInfoSchema = z.looseObject({
  // LiteLLM writes ids as strings, but a YAML `id: 1` must not turn into an error.
  id: z.union([text, z.number()]).transform(String).nullish(),
  /** Served but not listed in /v1/models. */
  hidden: z.boolean().nullish(),
  /** The catalogue model behind a deployment name (Azure deployments, custom servers). */
  base_model: text.nullish(),
  max_tokens: positiveInt.nullish(),
  max_input_tokens: positiveInt.nullish(),
  max_output_tokens: positiveInt.nullish(),
});
/** model_info keys Switchyard acts on or keeps as plain metadata; others are reported. */
export const MODEL_INFO_KEYS = [
  'id',
  'hidden',
  'base_model',
  'max_tokens',
  'max_input_tokens',
  'max_output_tokens',
  'input_cost_per_token',
  'output_cost_per_token',
  'adaptive_router_preferences',
  // Informational in LiteLLM outside its health checks (which Switchyard does not run on paid endpoints).
  'mode',
  'description',
] as const;

export const ModelEntrySchema = z.object({
  model_name: text,
  litellm_params: LiteLLMParamsSchema,
  model_info: ModelInfoSchema.nullish(),
  // LiteLLM also accepts the limits beside litellm_params.
  rpm: positiveInt.nullish(),
  tpm: positiveInt.nullish(),
});
export type ModelEntry = z.infer<typeof ModelEntrySchema>;

/** Adaptive router entries: the name is checked here, their settings by adaptive-router.ts. */
export const AdaptiveRouterEntrySchema = z.looseObject({
  model_name: text,
  litellm_params: z.looseObject({ model: text }),
});

export function isAdaptiveRouterEntry(entry: unknown): boolean {
  if (!isRecord(entry) || !isRecord(entry['litellm_params'])) return false;
  const model = entry['litellm_params']['model'];
  return typeof model === 'string' && ADAPTIVE_ROUTER_PREFIXES.some((prefix) => model.startsWith(prefix));
}

export const aliasTargetObjectSchema = z.object({ model: text, hidden: z.boolean().nullish() });
const aliasTargetSchema = z.union([text, aliasTargetObjectSchema], {
  error: 'expected a group name or { model: <group>, hidden: true|false }',
});

const routingStrategySchema = z.enum(ROUTING_STRATEGIES, {
  error: (issue) => `routing strategy ${JSON.stringify(issue.input)} is not a LiteLLM strategy (LiteLLM's: ${ROUTING_STRATEGIES.join(', ')})`,
});

/** LiteLLM's shape: `[{ "gpt-4": ["gpt-4o-mini", ...] }, ...]`; `*` matches every group. */
const fallbackListSchema = z.array(z.record(text, z.array(text)), {
  error: 'expected a list of { <model group>: [<fallback group>, ...] }',
});

/** LiteLLM's `RetryPolicy`: retries per error kind, overriding num_retries. */
export const RetryPolicySchema = z.object({
  BadRequestErrorRetries: z.number().int().min(0).nullish(),
  AuthenticationErrorRetries: z.number().int().min(0).nullish(),
  TimeoutErrorRetries: z.number().int().min(0).nullish(),
  RateLimitErrorRetries: z.number().int().min(0).nullish(),
  ContentPolicyViolationErrorRetries: z.number().int().min(0).nullish(),
  InternalServerErrorRetries: z.number().int().min(0).nullish(),
});

/** LiteLLM's `AllowedFailsPolicy`: failures allowed per error kind before a cooldown. */
export const AllowedFailsPolicySchema = z.object({
  BadRequestErrorAllowedFails: z.number().int().min(0).nullish(),
  AuthenticationErrorAllowedFails: z.number().int().min(0).nullish(),
  TimeoutErrorAllowedFails: z.number().int().min(0).nullish(),
  RateLimitErrorAllowedFails: z.number().int().min(0).nullish(),
  ContentPolicyViolationErrorAllowedFails: z.number().int().min(0).nullish(),
  InternalServerErrorAllowedFails: z.number().int().min(0).nullish(),
});

/** The reliability keys LiteLLM accepts in both router_settings and litellm_settings. */
const sharedReliabilityKeys = {
  fallbacks: fallbackListSchema.nullish(),
  context_window_fallbacks: fallbackListSchema.nullish(),
  content_policy_fallbacks: fallbackListSchema.nullish(),
  default_fallbacks: z.array(text).nullish(),
  allowed_fails: z.number().int().min(0).nullish(),
  cooldown_time: z.number().min(0).nullish(),
};

export const RouterSettingsSchema = z.object({
  ...sharedReliabilityKeys,
  /** Seconds: the least wait before a retry (LiteLLM's retry_after). */
  retry_after: z.number().min(0).nullish(),
  retry_policy: RetryPolicySchema.nullish(),
  max_fallbacks: z.number().int().min(0).nullish(),
  allowed_fails_policy: AllowedFailsPolicySchema.nullish(),
  disable_cooldowns: z.boolean().nullish(),
  routing_strategy: routingStrategySchema.nullish(),
  routing_strategy_args: z.record(z.string(), z.unknown()).nullish(),
  /** Seconds: the timeout of deployments that set none (as litellm_settings.request_timeout). */
  timeout: z.number().positive().nullish(),
  redis_host: text.nullish(),
  // A string too: `os.environ/REDIS_PORT`, or a quoted "6379".
  redis_port: z.union([z.number().int().min(1).max(65535), text]).nullish(),
  redis_password: text.nullish(),
  redis_url: text.nullish(),
  num_retries: z.number().int().min(0).nullish(),
  model_group_alias: z.record(text, aliasTargetSchema).nullish(),
});
export type LiteLLMRouterSettings = z.infer<typeof RouterSettingsSchema>;

export const GeneralSettingsSchema = z.object({
  master_key: text.nullish(),
  /** Switchyard's own: what the limiter does when Redis is unreachable. */
  on_limiter_unavailable: z.enum(['reject', 'allow']).nullish(),
  /** Switchyard's own: largest request body the ingress accepts. */
  max_request_body_bytes: positiveInt.nullish(),
  /** Switchyard's own: completion tokens reserved when neither the client nor the deployment sets max_tokens. */
  completion_tokens_estimate: z.number().int().min(0).nullish(),
  /** Switchyard's own: a request body's `fallbacks` list is honoured (default: refused with a 400). */
  allow_client_side_fallbacks: z.boolean().nullish(),
  /** Switchyard's own: deepest nesting of objects/arrays a request body may have (see settings.ts for the defaults). */
  max_json_depth: z.number().int().min(2).max(10_000).nullish(),
  /** Switchyard's own: time to receive a request's headers / its whole body, in seconds. */
  request_headers_timeout_seconds: z.number().positive().nullish(),
  request_body_timeout_seconds: z.number().positive().nullish(),
  /** Switchyard's own: an idle kept-alive client connection is closed after this long. */
  keep_alive_timeout_seconds: z.number().positive().nullish(),
  /** Switchyard's own: a client socket with no traffic either way is closed after this long. */
  connection_idle_timeout_seconds: z.number().positive().nullish(),
  /** Switchyard's own: largest request head (request line + headers). */
  max_header_bytes: positiveInt.nullish(),
  /** Switchyard's own: how long and how much JetStream keeps (see settings.ts). */
  events_max_age_seconds: z.number().positive().nullish(),
  events_max_bytes: positiveInt.nullish(),
  bodies_max_age_seconds: z.number().positive().nullish(),
  bodies_max_bytes: positiveInt.nullish(),
  cells_max_bytes: positiveInt.nullish(),
  keys_max_bytes: positiveInt.nullish(),
});
export type LiteLLMGeneralSettings = z.infer<typeof GeneralSettingsSchema>;

/** The `litellm_settings` Switchyard honours; the rest are reported by path. */
export const LiteLLMSettingsSchema = z.object({
  ...sharedReliabilityKeys,
  drop_params: z.boolean().nullish(),
  set_verbose: z.boolean().nullish(),
  num_retries: z.number().int().min(0).nullish(),
  /** Seconds. */
  request_timeout: z.number().positive().nullish(),
});
export type LiteLLMModuleSettings = z.infer<typeof LiteLLMSettingsSchema>;

/** LiteLLM's reusable credentials, referenced by `litellm_params.litellm_credential_name`. */
export const CredentialSchema = z.object({
  credential_name: text,
  credential_values: z.record(z.string(), z.union([text, z.number(), z.date()]).transform((value) =>
    value instanceof Date ? value.toISOString().slice(0, 10) : String(value),
  )),
  credential_info: z.unknown().optional(),
});
export type LiteLLMCredential = z.infer<typeof CredentialSchema>;

export const TopLevelSchema = z.object({
  model_list: z.array(z.unknown()).min(1, 'at least one model is required'),
  router_settings: z.unknown().optional(),
  general_settings: z.unknown().optional(),
  litellm_settings: z.unknown().optional(),
  credential_list: z.unknown().optional(),
  /** LiteLLM sets these in its environment at start: they are seen by `os.environ/` references and provider defaults. */
  environment_variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullish(),
});

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
