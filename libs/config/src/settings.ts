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

/**
 * What start tells the operator about routing: one line on limits, and one
 * warning for a strategy that is accepted but not executed yet.
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
  if (router.routingStrategy !== 'simple-shuffle') {
    const args = Object.keys(router.routingStrategyArgs);
    warnings.push(
      `router_settings.routing_strategy: "${router.routingStrategy}" is accepted but not executed yet: Switchyard picks a deployment ` +
        'by simple-shuffle (weighted by weight/rpm/tpm) among those whose cluster-wide rpm/tpm limits admit the request' +
        (args.length > 0 ? `; routing_strategy_args (${args.join(', ')}) are not used` : ''),
    );
  }
  return { notes, warnings };
}

/** Completion tokens reserved for a request that sets no max_tokens; settlement corrects it. */
const DEFAULT_COMPLETION_TOKENS_ESTIMATE = 256;

export function buildGeneralSettings(raw: LiteLLMGeneralSettings, env: Env, problems: Problems): GeneralSettings {
  const masterKey = raw.master_key == null ? null : required(raw.master_key, ['general_settings', 'master_key'], env, problems);
  return {
    masterKey: masterKey === null ? null : toSecret({ kind: 'value', ...masterKey }),
    onLimiterUnavailable: raw.on_limiter_unavailable ?? 'reject',
    maxRequestBodyBytes: raw.max_request_body_bytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES,
    completionTokensEstimate: raw.completion_tokens_estimate ?? DEFAULT_COMPLETION_TOKENS_ESTIMATE,
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
