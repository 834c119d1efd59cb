import { resolveEnvRef, toSecret } from './env-ref.js';
import { DEFAULT_MAX_REQUEST_BODY_BYTES } from './litellm-schema.js';
import type { LiteLLMGeneralSettings, LiteLLMModuleSettings, LiteLLMRouterSettings } from './litellm-schema.js';
import type { Deployment, GeneralSettings, LiteLLMSettings, RouterSettings } from './model.js';
import type { Problems } from './path.js';
import { Secret } from './secret.js';

type Env = Record<string, string | undefined>;

/**
 * Outside `api_key`, an `os.environ/` reference must resolve: every service
 * that reads these settings needs them, so an unset variable is an error now
 * rather than a fallback to some default later.
 */
function required(value: string, path: PropertyKey[], env: Env, problems: Problems): { value: string; source: string } | null {
  const found = resolveEnvRef(value, env);
  if (found.kind === 'value') return found;
  problems.add(path, found.kind === 'missing' ? `environment variable ${found.name} is not set (${value})` : found.message);
  return null;
}

export function buildRouterSettings(
  raw: LiteLLMRouterSettings,
  litellm: LiteLLMModuleSettings,
  env: Env,
  problems: Problems,
): Omit<RouterSettings, 'reliability'> {
  const modelGroupAlias: Record<string, string> = {};
  const hiddenAliases: string[] = [];
  for (const [alias, target] of Object.entries(raw.model_group_alias ?? {})) {
    if (typeof target === 'string') {
      modelGroupAlias[alias] = target;
    } else {
      modelGroupAlias[alias] = target.model;
      if (target.hidden === true) hiddenAliases.push(alias);
    }
  }
  return {
    routingStrategy: raw.routing_strategy ?? 'simple-shuffle',
    routingStrategyArgs: { ...raw.routing_strategy_args },
    // LiteLLM: router_settings.num_retries, else litellm.num_retries.
    numRetries: raw.num_retries ?? litellm.num_retries ?? 0,
    redisUrl: buildRedisUrl(raw, env, problems),
    modelGroupAlias,
    hiddenAliases,
  };
}

function buildRedisUrl(raw: LiteLLMRouterSettings, env: Env, problems: Problems): Secret | null {
  const at = (field: string): PropertyKey[] => ['router_settings', field];
  if (raw.redis_url != null) {
    // LiteLLM prefers redis_url over host/port/password too.
    const url = required(raw.redis_url, at('redis_url'), env, problems);
    if (url === null) return null;
    if (!/^rediss?:\/\/./.test(url.value)) {
      // Never echo the value: it usually holds the password.
      problems.add(at('redis_url'), 'must be a redis:// or rediss:// URL');
      return null;
    }
    return toSecret({ kind: 'value', ...url });
  }
  if (raw.redis_host == null) {
    for (const field of ['redis_port', 'redis_password'] as const) {
      if (raw[field] != null) problems.add(at('redis_host'), `required when ${field} is set`);
    }
    return null;
  }
  const host = required(raw.redis_host, at('redis_host'), env, problems);
  const port = redisPort(raw.redis_port, env, problems);
  const password = raw.redis_password == null ? null : required(raw.redis_password, at('redis_password'), env, problems);
  if (host === null || port === undefined || (raw.redis_password != null && password === null)) return null;
  const hostPart = host.value.includes(':') && !host.value.startsWith('[') ? `[${host.value}]` : host.value;
  const auth = password === null ? '' : `:${encodeURIComponent(password.value)}@`;
  return new Secret(`redis://${auth}${hostPart}:${port}`, password?.source ?? host.source);
}

/** The port, or undefined when it is invalid (already reported). */
function redisPort(value: number | string | null | undefined, env: Env, problems: Problems): number | undefined {
  if (value == null) return 6379;
  if (typeof value === 'number') return value;
  const path = ['router_settings', 'redis_port'];
  const found = required(value, path, env, problems);
  if (found === null) return undefined;
  const port = Number(found.value);
  if (!/^\d+$/.test(found.value) || port < 1 || port > 65535) {
    problems.add(path, `"${found.value}" is not a port number (1-65535)`);
    return undefined;
  }
  return port;
}

export function buildLiteLLMSettings(raw: LiteLLMModuleSettings): LiteLLMSettings {
  return {
    dropParams: raw.drop_params ?? false,
    setVerbose: raw.set_verbose ?? false,
    requestTimeoutMs: raw.request_timeout == null ? null : Math.round(raw.request_timeout * 1000),
  };
}

/** The routing_strategy_args each strategy reads (LiteLLM's names); others are reported as unused. */
const STRATEGY_ARGS: Record<string, readonly string[]> = {
  'latency-based-routing': ['ttl', 'lowest_latency_buffer'],
};

/** What each load-aware strategy decides by, for the start note. */
const STRATEGY_STATE: Record<string, string> = {
  'least-busy': 'the fewest calls in flight',
  'usage-based-routing': 'the fewest tokens used this minute, skipping deployments the request would push over rpm/tpm',
  'usage-based-routing-v2': 'the fewest tokens used this minute, skipping deployments the request would push over rpm/tpm',
  'latency-based-routing': 'the lowest average latency of recent calls',
  'cost-based-routing': 'the lowest input+output token price, among those with headroom',
};

/**
 * What start tells the operator about routing: one line on limits, one on
 * what the strategy decides by, and a warning for routing_strategy_args it does not read.
 */
export function routingMessages(router: RouterSettings, deployments: readonly Deployment[]): { notes: string[]; warnings: string[] } {
  const notes: string[] = [];
  const warnings: string[] = [];
  if (deployments.some((deployment) => deployment.rpm !== null || deployment.tpm !== null)) {
    notes.push(
      'rpm/tpm are enforced as cluster-wide limits: a request over a deployment\'s limit goes to another deployment of its group or gets a 429 ' +
        "(LiteLLM's default strategy only weights deployments by them)",
    );
  }
  const state = STRATEGY_STATE[router.routingStrategy];
  if (state) {
    notes.push(`router_settings.routing_strategy: "${router.routingStrategy}" picks the deployment with ${state}, counted for the whole cluster (every replica's calls)`);
  }
  const read = STRATEGY_ARGS[router.routingStrategy] ?? [];
  const unused = Object.keys(router.routingStrategyArgs).filter((arg) => !read.includes(arg));
  if (unused.length > 0) {
    warnings.push(`router_settings.routing_strategy_args: ${unused.join(', ')} not used by "${router.routingStrategy}"` + (read.length > 0 ? ` (it reads ${read.join(', ')})` : ''));
  }
  return { notes, warnings };
}

/** Completion tokens reserved for a request that sets no max_tokens; settlement corrects it. */
const DEFAULT_COMPLETION_TOKENS_ESTIMATE = 256;

/**
 * 128 levels: OpenAI's structured outputs allow 10 levels of schema nesting
 * (about 20-25 JSON levels once `properties`/`items` wrappers count), and a
 * chat request adds about 6 around it (body, messages, message, content part,
 * tools, function); 128 leaves 4x headroom for any legitimate body, while
 * recursive code downstream (zod, JSON.stringify, provider transforms) only
 * runs out of stack in the thousands.
 */
export const DEFAULT_MAX_JSON_DEPTH = 128;

const SECOND = 1000;
const MIB = 1024 * 1024;

/**
 * Client connection defaults. A body that trickles in (1 byte/s) must not
 * hold a socket: 60 s receives 16 MiB (the default body limit) at 280 KB/s.
 * 30 s for the head, as browsers and SDKs send it at once. Keep-alive 72 s
 * (fastify's default) outlives the 60 s idle timeout of common load
 * balancers, so the gateway never closes a socket the balancer is reusing.
 * 16 KiB heads: node's own default, stated so it is visible and configurable.
 */
export const DEFAULT_HTTP_LIMITS = {
  headersTimeoutMs: 30 * SECOND,
  bodyTimeoutMs: 60 * SECOND,
  keepAliveTimeoutMs: 72 * SECOND,
  maxHeaderBytes: 16 * 1024,
} as const;

/**
 * JetStream keeps prompts (turn events) and bodies: as little and as briefly
 * as the gateway needs. Events: 24 h lets a consumer that was down for a day
 * catch up. Bodies: 15 min outlives the default 600 s call timeout plus one
 * retry's wait; the ingress deletes a body as soon as its request ends.
 */
export const DEFAULT_RETENTION = {
  eventsMaxAgeMs: 24 * 3600 * SECOND,
  eventsMaxBytes: 1024 * MIB,
  bodiesMaxAgeMs: 15 * 60 * SECOND,
  bodiesMaxBytes: 1024 * MIB,
  cellsMaxBytes: 64 * MIB,
  keysMaxBytes: 64 * MIB,
} as const;

/**
 * The learner forgets processed event ids after 8 days (services/learner
 * sessions.ts); JetStream must never be able to redeliver an event older than
 * that, or it would count twice.
 */
const MAX_EVENTS_AGE_SECONDS = 7 * 24 * 3600;

export function buildGeneralSettings(raw: LiteLLMGeneralSettings, env: Env, problems: Problems): GeneralSettings {
  const masterKey = raw.master_key == null ? null : required(raw.master_key, ['general_settings', 'master_key'], env, problems);
  const seconds = (value: number | null | undefined, fallbackMs: number): number => (value == null ? fallbackMs : Math.round(value * SECOND));
  const http = {
    headersTimeoutMs: seconds(raw.request_headers_timeout_seconds, DEFAULT_HTTP_LIMITS.headersTimeoutMs),
    bodyTimeoutMs: seconds(raw.request_body_timeout_seconds, DEFAULT_HTTP_LIMITS.bodyTimeoutMs),
    keepAliveTimeoutMs: seconds(raw.keep_alive_timeout_seconds, DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs),
    connectionIdleTimeoutMs: raw.connection_idle_timeout_seconds == null ? null : Math.round(raw.connection_idle_timeout_seconds * SECOND),
    maxHeaderBytes: raw.max_header_bytes ?? DEFAULT_HTTP_LIMITS.maxHeaderBytes,
  };
  if (http.headersTimeoutMs > http.bodyTimeoutMs) {
    // node refuses a head timeout longer than the whole request's.
    problems.add(['general_settings', 'request_headers_timeout_seconds'], 'must not exceed request_body_timeout_seconds');
  }
  if (raw.events_max_age_seconds != null && raw.events_max_age_seconds > MAX_EVENTS_AGE_SECONDS) {
    problems.add(
      ['general_settings', 'events_max_age_seconds'],
      `at most ${MAX_EVENTS_AGE_SECONDS} (7 days): the learner forgets event ids after 8 days, and an older redelivered event would count twice`,
    );
  }
  return {
    masterKey: masterKey === null ? null : toSecret({ kind: 'value', ...masterKey }),
    onLimiterUnavailable: raw.on_limiter_unavailable ?? 'reject',
    maxRequestBodyBytes: raw.max_request_body_bytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES,
    completionTokensEstimate: raw.completion_tokens_estimate ?? DEFAULT_COMPLETION_TOKENS_ESTIMATE,
    maxJsonDepth: raw.max_json_depth ?? DEFAULT_MAX_JSON_DEPTH,
    http,
    retention: {
      eventsMaxAgeMs: seconds(raw.events_max_age_seconds, DEFAULT_RETENTION.eventsMaxAgeMs),
      eventsMaxBytes: raw.events_max_bytes ?? DEFAULT_RETENTION.eventsMaxBytes,
      bodiesMaxAgeMs: seconds(raw.bodies_max_age_seconds, DEFAULT_RETENTION.bodiesMaxAgeMs),
      bodiesMaxBytes: raw.bodies_max_bytes ?? DEFAULT_RETENTION.bodiesMaxBytes,
      cellsMaxBytes: raw.cells_max_bytes ?? DEFAULT_RETENTION.cellsMaxBytes,
      keysMaxBytes: raw.keys_max_bytes ?? DEFAULT_RETENTION.keysMaxBytes,
    },
  };
}

/**
 * Aliases must point at a group and must not shadow a group or an adaptive
 * router: a name clients send has to mean one thing.
 */
export function buildAliases(
  router: Pick<RouterSettings, 'modelGroupAlias'>,
  groups: ReadonlyMap<string, Deployment[]>,
  routerNames: ReadonlySet<string>,
  problems: Problems,
): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const [alias, group] of Object.entries(router.modelGroupAlias)) {
    const path = ['router_settings', 'model_group_alias', alias];
    if (groups.has(alias)) {
      problems.add(path, `"${alias}" is already a model_name in model_list; an alias cannot have the name of a group`);
    } else if (routerNames.has(alias)) {
      problems.add(path, `"${alias}" is already an adaptive router in model_list; an alias cannot have its name`);
    } else if (!groups.has(group)) {
      const chained = Object.hasOwn(router.modelGroupAlias, group) ? ` ("${group}" is itself an alias; aliases do not chain)` : '';
      problems.add(path, `target group "${group}" does not exist${chained} (groups: ${listNames([...groups.keys()])})`);
    } else {
      aliases.set(alias, group);
    }
  }
  return aliases;
}

/** A bounded list for messages: a file may hold hundreds of names. */
export function listNames(names: string[], max = 10): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}
