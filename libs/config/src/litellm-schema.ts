import { z } from 'zod';
import { PROVIDERS, ROUTING_STRATEGIES } from './model.js';
import type { ProviderName } from './model.js';
import { formatPath } from './path.js';

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
const MOCK_ONLY_PARAMS = ['mock_response', 'mock_latency_ms'] as const;

const text = z.string().min(1, 'must not be empty');
const positiveInt = z.number().int().positive();

export interface ProviderModel {
  provider: ProviderName;
  providerModel: string;
}

/** `<provider>/<model id>`; the model id may itself contain slashes (`hosted_vllm/meta-llama/...`). */
export function splitProviderModel(model: string): ProviderModel | { error: string } {
  const slash = model.indexOf('/');
  // LiteLLM treats a bare name as an OpenAI model; so do we.
  if (slash === -1) return { provider: 'openai', providerModel: model };
  const prefix = model.slice(0, slash);
  const providerModel = model.slice(slash + 1);
  if (!(PROVIDERS as readonly string[]).includes(prefix)) {
    return { error: `provider "${prefix}" is not supported (supported: ${PROVIDERS.join(', ')})` };
  }
  if (providerModel === '') return { error: `"${model}" names no model after "${prefix}/"` };
  return { provider: prefix as ProviderName, providerModel };
}

const providerModelSchema = text.transform((value, ctx): ProviderModel => {
  const split = splitProviderModel(value);
  if ('error' in split) {
    ctx.issues.push({ code: 'custom', input: value, message: split.error });
    return z.NEVER;
  }
  return split;
});

export const LiteLLMParamsSchema = z.object({
  model: providerModelSchema,
  api_base: text.nullish(),
  api_key: text.nullish(),
  api_version: text.nullish(),
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
});
export type LiteLLMParams = z.infer<typeof LiteLLMParamsSchema>;

export const ModelInfoSchema = z.looseObject({
  // LiteLLM writes ids as strings, but a YAML `id: 1` must not turn into an error.
  id: z.union([text, z.number()]).transform(String).nullish(),
});

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

const aliasTargetObjectSchema = z.object({ model: text, hidden: z.boolean().nullish() });
const aliasTargetSchema = z.union([text, aliasTargetObjectSchema], {
  error: 'expected a group name or { model: <group>, hidden: true|false }',
});

const routingStrategySchema = z.string().transform((value, ctx) => {
  const found = ROUTING_STRATEGIES.find((strategy) => strategy === value);
  if (found === undefined) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `routing strategy "${value}" is not supported (supported: ${ROUTING_STRATEGIES.join(', ')})`,
    });
    return z.NEVER;
  }
  return found;
});

export const RouterSettingsSchema = z.object({
  routing_strategy: routingStrategySchema.nullish(),
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
});
export type LiteLLMGeneralSettings = z.infer<typeof GeneralSettingsSchema>;

export const TopLevelSchema = z.object({
  model_list: z.array(z.unknown()).min(1, 'at least one model is required'),
  router_settings: z.unknown().optional(),
  general_settings: z.unknown().optional(),
});

/**
 * Every key present in the file that Switchyard does not act on, as field
 * paths. It does not descend into a key it does not know, nor into free maps
 * (`model_info`, `extra_headers`), nor into adaptive router entries.
 */
export function findUnsupportedKeys(doc: Record<string, unknown>): string[] {
  const found: string[] = [];
  const extra = (value: unknown, known: object, path: PropertyKey[]): void => {
    if (!isRecord(value)) return;
    for (const key of Object.keys(value)) if (!Object.hasOwn(known, key)) found.push(formatPath([...path, key]));
  };

  extra(doc, TopLevelSchema.shape, []);
  const list = doc['model_list'];
  if (Array.isArray(list)) {
    list.forEach((entry: unknown, i) => {
      if (!isRecord(entry) || isAdaptiveRouterEntry(entry)) return;
      extra(entry, ModelEntrySchema.shape, ['model_list', i]);
      const params = entry['litellm_params'];
      extra(params, LiteLLMParamsSchema.shape, ['model_list', i, 'litellm_params']);
      if (isRecord(params) && typeof params['model'] === 'string' && !params['model'].startsWith('mock/')) {
        for (const key of MOCK_ONLY_PARAMS) {
          if (params[key] !== undefined && params[key] !== null) found.push(formatPath(['model_list', i, 'litellm_params', key]));
        }
      }
    });
  }

  const router = doc['router_settings'];
  extra(router, RouterSettingsSchema.shape, ['router_settings']);
  if (isRecord(router) && isRecord(router['model_group_alias'])) {
    for (const [alias, target] of Object.entries(router['model_group_alias'])) {
      extra(target, aliasTargetObjectSchema.shape, ['router_settings', 'model_group_alias', alias]);
    }
  }
  extra(doc['general_settings'], GeneralSettingsSchema.shape, ['general_settings']);
  return found;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
