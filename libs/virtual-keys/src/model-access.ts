import { matchPattern, resolveModel, type GatewayConfig } from '@switchyard/config';

/** LiteLLM's special model names of a key's or team's `models`. */
export const ALL_TEAM_MODELS = 'all-team-models';
const ALL_PROXY_MODELS = 'all-proxy-models';

export interface ModelDenial {
  /** Whose list refused the model: the key's own, or its team's. */
  object: 'key' | 'team';
  /** LiteLLM's `type`: key_model_access_denied / team_model_access_denied. */
  type: string;
  message: string;
}

/** The names a request for `model` may be allowed under: itself and, for an alias, the group it names (LiteLLM's potential_models). */
function namesOf(config: GatewayConfig, model: string): string[] {
  const target = config.aliases.get(model);
  return target !== undefined && target !== model ? [model, target] : [model];
}

/**
 * The provider-qualified names of what serves `name` (`openai/gpt-4o`): a
 * wildcard such as `openai/*` allows a model that an openai deployment
 * serves, as LiteLLM matches a wildcard against the model's provider.
 */
function providerNamesOf(config: GatewayConfig, name: string): string[] {
  const resolved = resolveModel(config, name);
  if (!resolved) return [];
  return resolved.deployments.map((deployment) => `${deployment.provider}/${deployment.providerModel}`);
}

/** One list's verdict (LiteLLM's _check_model_access_helper): empty, `*` or all-proxy-models allows every model. */
function listAllows(config: GatewayConfig, allowed: readonly string[], model: string): boolean {
  if (allowed.length === 0 || allowed.includes('*') || allowed.includes(ALL_PROXY_MODELS)) return true;
  const patterns = allowed.filter((entry) => entry.includes('*'));
  for (const name of namesOf(config, model)) {
    if (allowed.includes(name)) return true;
    if (patterns.length === 0) continue;
    const candidates = [name, ...providerNamesOf(config, name)];
    if (patterns.some((pattern) => candidates.some((candidate) => matchPattern(pattern, candidate) !== null))) return true;
  }
  return false;
}

/** A key's models with `all-team-models` replaced by the team's (LiteLLM: the key may call every model its team may). */
export function keyModelsOf(keyModels: readonly string[], teamModels: readonly string[] | null): string[] {
  if (!keyModels.includes(ALL_TEAM_MODELS)) return [...keyModels];
  const rest = keyModels.filter((model) => model !== ALL_TEAM_MODELS);
  return [...rest, ...(teamModels ?? [])];
}

/** Python's repr of a list of strings, as LiteLLM's messages print `models=[...]`. */
function pythonList(models: readonly string[]): string {
  return `[${models.map((model) => `'${model.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`).join(', ')}]`;
}

/**
 * Whether a key (and its team) may call `model`, as LiteLLM checks it: the
 * key's list first, then the team's; null when allowed.
 */
export function modelDenial(
  config: GatewayConfig,
  model: string,
  keyModels: readonly string[],
  teamModels: readonly string[] | null,
): ModelDenial | null {
  const effective = keyModelsOf(keyModels, teamModels);
  // A key whose only entry was all-team-models in a team without a list may call what the team may: everything.
  const keyList = effective.length === 0 && keyModels.length > 0 ? ['*'] : effective;
  if (!listAllows(config, keyList, model)) {
    return {
      object: 'key',
      type: 'key_model_access_denied',
      message: `key not allowed to access model. This key can only access models=${pythonList(keyModels)}. Tried to access ${model}`,
    };
  }
  if (teamModels !== null && !listAllows(config, teamModels, model)) {
    return {
      object: 'team',
      type: 'team_model_access_denied',
      message: `team not allowed to access model. This team can only access models=${pythonList(teamModels)}. Tried to access ${model}`,
    };
  }
  return null;
}

/** The models of a listing (`/v1/models`) that the key may call. */
export function allowedModels(config: GatewayConfig, listed: readonly string[], keyModels: readonly string[], teamModels: readonly string[] | null): string[] {
  return listed.filter((model) => modelDenial(config, model, keyModels, teamModels) === null);
}
