import { createHash } from 'node:crypto';
import { resolveEnvRef, toSecret } from './env-ref.js';
import type { EnvLookup } from './env-ref.js';
import { DEFAULT_TIMEOUT_SECONDS } from './litellm-schema.js';
import type { ModelEntry } from './litellm-schema.js';
import type { Deployment, ProviderName } from './model.js';
import { formatPath } from './path.js';
import type { Problems } from './path.js';
import { secretForms, secretList, urlCredentials, type Secret } from './secret.js';

/** Endpoints a provider has without `api_base`; the others get theirs from the providers lib. */
const DEFAULT_API_BASE: Partial<Record<ProviderName, string>> = {
  ollama: 'http://localhost:11434',
};

/** Fields a provider cannot be called without. */
const REQUIRED_PARAMS: Partial<Record<ProviderName, ReadonlyArray<'api_base' | 'api_version'>>> = {
  azure: ['api_base', 'api_version'],
  hosted_vllm: ['api_base'],
};

export interface DeploymentDraft {
  /** Path of the `model_list` entry, for messages. */
  at: PropertyKey[];
  explicitId: string | null;
  /** Input of the generated id. */
  hashInput: string;
  deployment: Omit<Deployment, 'id'>;
}

/**
 * One `model_list` entry -> a deployment without its id (ids need the whole
 * list). Returns null when the entry has problems; they are added to `problems`.
 */
export function draftDeployment(
  entry: ModelEntry,
  at: PropertyKey[],
  env: Record<string, string | undefined>,
  problems: Problems,
): DeploymentDraft | null {
  const params = entry.litellm_params;
  const { provider, providerModel } = params.model;
  const paramsAt = [...at, 'litellm_params'];
  const before = problems.list.length;
  // Unset variables are not an error here: a service that never calls the
  // provider (the ingress) loads the same file without holding its secrets.
  const missingEnv: string[] = [];

  for (const field of REQUIRED_PARAMS[provider] ?? []) {
    if (params[field] == null) problems.add([...paramsAt, field], `required for provider ${provider}`);
  }

  const lookup = (field: 'api_base' | 'api_key' | 'api_version'): EnvLookup | null => {
    const written = params[field];
    if (written == null) return null;
    const found = resolveEnvRef(written, env);
    if (found.kind === 'invalid') problems.add([...paramsAt, field], found.message);
    if (found.kind === 'missing') missingEnv.push(found.name);
    return found;
  };
  const valueOf = (found: EnvLookup | null): string | null => (found?.kind === 'value' ? found.value : null);

  const key = lookup('api_key');
  const apiKey: Secret | null = key?.kind === 'value' ? toSecret(key) : null;
  const apiKeyEnv = key?.kind === 'missing' ? key.name : null;
  const apiVersion = valueOf(lookup('api_version'));
  const apiBase = params.api_base == null ? (DEFAULT_API_BASE[provider] ?? null) : valueOf(lookup('api_base'));
  if (apiBase !== null && !isHttpUrl(apiBase)) {
    // A URL read from the environment is not echoed: it may carry credentials.
    const shown = params.api_base?.startsWith('os.environ/') ? `the value of ${params.api_base}` : `"${apiBase}"`;
    problems.add([...paramsAt, 'api_base'], `${shown} is not an http(s) URL`);
  }

  const rpm = oneLimit(entry, 'rpm', at, problems);
  const tpm = oneLimit(entry, 'tpm', at, problems);

  const defaultParams: Record<string, unknown> = {};
  for (const key of ['max_tokens', 'temperature', 'top_p'] as const) {
    const value = params[key];
    if (value != null) defaultParams[key] = value;
  }

  const timeoutSeconds = params.timeout ?? DEFAULT_TIMEOUT_SECONDS;
  const { id: explicitId, ...modelInfo } = entry.model_info ?? {};
  if (problems.list.length > before) return null;
  return {
    at,
    explicitId: explicitId ?? null,
    // As written, not as resolved: every service must derive the same id
    // whatever variables its environment holds.
    hashInput: `${provider}/${providerModel}|${params.api_base ?? ''}`,
    deployment: {
      modelName: entry.model_name,
      provider,
      providerModel,
      apiBase,
      apiKey,
      apiKeyEnv,
      missingEnv,
      apiVersion,
      rpm,
      tpm,
      maxParallelRequests: params.max_parallel_requests ?? null,
      weight: params.weight ?? null,
      timeoutMs: Math.round(timeoutSeconds * 1000),
      streamTimeoutMs: Math.round((params.stream_timeout ?? timeoutSeconds) * 1000),
      defaultParams,
      extraHeaders: { ...params.extra_headers },
      modelInfo: explicitId == null ? modelInfo : { id: explicitId, ...modelInfo },
      inputCostPerToken: params.input_cost_per_token ?? null,
      mock: provider === 'mock' ? { latencyMs: params.mock_latency_ms ?? 0, response: params.mock_response ?? null } : null,
      secrets: deploymentSecrets({ apiKey, apiBase, extraHeaders: { ...params.extra_headers } }),
    },
  };
}

/**
 * The secrets a deployment's calls carry: its key, every `extra_headers`
 * value (a header is where proxies take their credentials; a value that is
 * not secret costs nothing but a redaction), credentials in `api_base`.
 */
export function deploymentSecrets(deployment: Pick<Deployment, 'apiKey' | 'apiBase' | 'extraHeaders'>): () => readonly string[] {
  return secretList([deployment.apiKey?.reveal(), ...Object.values(deployment.extraHeaders), ...urlCredentials(deployment.apiBase)]);
}

/** Adds the gateway's own secrets (master key, Redis password) to every deployment's list, once at load. */
export function addSharedSecrets(deployments: Deployment[], shared: ReadonlyArray<Secret | null>): void {
  const values = shared.flatMap((secret) => (secret === null ? [] : [secret.reveal(), ...urlCredentials(secret.reveal())]));
  const sharedForms = secretForms(values);
  if (sharedForms.length === 0) return;
  for (const deployment of deployments) {
    const forms = Object.freeze([...new Set([...deployment.secrets(), ...sharedForms])].sort((a, b) => b.length - a.length));
    deployment.secrets = () => forms;
  }
}

/** `rpm`/`tpm` may sit in litellm_params or beside it; two different values are a mistake, not a choice. */
function oneLimit(entry: ModelEntry, key: 'rpm' | 'tpm', at: PropertyKey[], problems: Problems): number | null {
  const inner = entry.litellm_params[key] ?? null;
  const outer = entry[key] ?? null;
  if (inner !== null && outer !== null && inner !== outer) {
    problems.add([...at, key], `${outer} conflicts with litellm_params.${key} ${inner}; set it once`);
  }
  return inner ?? outer;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Gives every draft its id. Explicit `model_info.id`s are claimed first so a
 * generated id never takes one; a generated id that is taken (the same model
 * and endpoint listed twice) gets `#2`, `#3`, ... in file order.
 */
export function assignIds(drafts: DeploymentDraft[], problems: Problems): Deployment[] {
  const taken = new Map<string, PropertyKey[]>();
  for (const draft of drafts) {
    if (draft.explicitId === null) continue;
    const earlier = taken.get(draft.explicitId);
    if (earlier !== undefined) {
      problems.add(
        [...draft.at, 'model_info', 'id'],
        `duplicate id "${draft.explicitId}" (already used by ${formatPath([...earlier, 'model_info', 'id'])})`,
      );
    } else {
      taken.set(draft.explicitId, draft.at);
    }
  }
  return drafts.map((draft) => {
    let id = draft.explicitId;
    if (id === null) {
      const base = `${draft.deployment.modelName}/${createHash('sha256').update(draft.hashInput).digest('hex').slice(0, 8)}`;
      id = base;
      for (let n = 2; taken.has(id); n += 1) id = `${base}#${n}`;
      taken.set(id, draft.at);
    }
    return { id, ...draft.deployment };
  });
}
