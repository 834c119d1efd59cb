import { resolveEnvRef, toSecret } from './env-ref.js';
import type { LiteLLMParams } from './litellm-schema.js';
import type { ProviderName } from './model.js';
import { formatPath } from './path.js';
import type { Problems } from './path.js';
import { AZURE_DEFAULT_API_VERSION, PROVIDER_ENV, fromStandardEnv } from './provider-env.js';
import type { Secret } from './secret.js';
import { parseHttpUrl } from './url.js';

/**
 * Where a deployment's key, endpoint and API version come from, in LiteLLM's
 * order: the entry's own `litellm_params`, then the `credential_list` entry it
 * names, then the provider's standard environment variables, then the
 * provider's default.
 */

type Field = 'api_key' | 'api_base' | 'api_version';

export interface Connection {
  apiKey: Secret | null;
  /** The variable `api_key` names when it is unset here. */
  apiKeyEnv: string | null;
  apiBase: string | null;
  apiVersion: string | null;
  /** Variables the call needs that are unset in this process. */
  missingEnv: string[];
}

export interface ConnectionInput {
  provider: ProviderName;
  params: LiteLLMParams;
  /** Values of the credential the entry names, when it names one. */
  credential: Readonly<Record<string, string>> | null;
  env: Record<string, string | undefined>;
  paramsAt: PropertyKey[];
  problems: Problems;
  /** Notes for the operator that do not stop the file (an endpoint variable unset in this process). */
  warnings: string[];
}

/** Endpoints a provider has without `api_base`; the others get theirs from the providers lib. */
const DEFAULT_API_BASE: Partial<Record<ProviderName, string>> = {
  ollama: 'http://localhost:11434',
};

/** Providers that cannot be called without an endpoint of the operator's. */
const NEEDS_API_BASE: ReadonlySet<ProviderName> = new Set(['azure', 'hosted_vllm', 'lm_studio']);

export function resolveConnection(input: ConnectionInput): Connection {
  const { provider, params, credential, env, paramsAt, problems } = input;
  const standard = provider === 'mock' ? null : PROVIDER_ENV[provider];
  const missingEnv: string[] = [];
  let apiKeyEnv: string | null = null;

  const written = (field: Field): { value: string; from: 'entry' | 'credential' | 'environment' } | null => {
    const own = params[field];
    if (own != null) return { value: own, from: 'entry' };
    const shared = credential?.[field];
    if (shared !== undefined && shared !== '') return { value: shared, from: 'credential' };
    const names = standard === null ? [] : field === 'api_key' ? standard.apiKey : field === 'api_base' ? standard.apiBase : standard.apiVersion;
    const variable = fromStandardEnv(names, env);
    return variable === null ? null : { value: variable, from: 'environment' };
  };

  const lookup = (field: Field): { value: string; source: string } | null => {
    const found = written(field);
    if (found === null) return null;
    const resolved = resolveEnvRef(found.value, env);
    if (resolved.kind === 'invalid') problems.add([...paramsAt, field], resolved.message);
    if (resolved.kind === 'missing') {
      missingEnv.push(resolved.name);
      if (field === 'api_key') apiKeyEnv = resolved.name;
    }
    return resolved.kind === 'value' ? resolved : null;
  };

  const key = lookup('api_key');
  let apiVersion = lookup('api_version')?.value ?? null;
  if (provider === 'azure' && apiVersion === null && written('api_version') === null) apiVersion = AZURE_DEFAULT_API_VERSION;

  const base = lookup('api_base');
  let apiBase = base?.value ?? null;
  if (written('api_base') === null) {
    apiBase = DEFAULT_API_BASE[provider] ?? null;
    if (NEEDS_API_BASE.has(provider)) {
      // Not an error here: a service that never calls the provider (the ingress)
      // loads the same file without the provider's variables. The call fails naming them.
      const names = standard?.apiBase ?? [];
      missingEnv.push(...names);
      input.warnings.push(
        `${formatPath([...paramsAt, 'api_base'])}: not set, and neither is ${names.join(' or ')} in this process: ` +
          `calls to this ${provider} deployment fail until one is`,
      );
    }
  }
  if (apiBase !== null && parseHttpUrl(apiBase) === null) {
    // A URL read from the environment is not echoed: it may carry credentials.
    const shown = base !== null && base.source !== 'inline' ? `the value of ${base.source}` : `"${apiBase}"`;
    problems.add([...paramsAt, 'api_base'], `${shown} is not an http(s) URL`);
  }
  return {
    apiKey: key === null ? null : toSecret({ kind: 'value', ...key }),
    apiKeyEnv,
    apiBase,
    apiVersion,
    missingEnv,
  };
}
