import { createHash } from 'node:crypto';
import { catalogueLimits } from './catalogue.js';
import { resolveAws } from './aws.js';
import { resolveConnection } from './connection.js';
import { DEFAULT_TIMEOUT_SECONDS } from './litellm-schema.js';
import type { ModelEntry } from './litellm-schema.js';
import type { Deployment, ModelLimitsSource, WildcardRoute } from './model.js';
import { formatPath } from './path.js';
import type { Problems } from './path.js';
import { parseModelTarget, providerPrefix } from './provider.js';
import { secretForms, secretList, urlCredentials, type Secret } from './secret.js';

export interface DeploymentDraft {
  /** Path of the `model_list` entry, for messages. */
  at: PropertyKey[];
  explicitId: string | null;
  /** Input of the generated id. */
  hashInput: string;
  deployment: Omit<Deployment, 'id'>;
}

/** What the whole file contributes to each entry. */
export interface DraftContext {
  env: Record<string, string | undefined>;
  /** credential_list: name -> values. */
  credentials: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** litellm_settings.drop_params. */
  dropParams: boolean;
  /** Seconds: router_settings.timeout, else litellm_settings.request_timeout. */
  defaultTimeoutSeconds: number | null;
  problems: Problems;
  warnings: string[];
}

/**
 * One `model_list` entry -> a deployment without its id (ids need the whole
 * list). Every problem of the entry is added to `problems` (not only the
 * first); returns null when there was any.
 */
export function draftDeployment(entry: ModelEntry, at: PropertyKey[], context: DraftContext): DeploymentDraft | null {
  const { problems } = context;
  const params = entry.litellm_params;
  const paramsAt = [...at, 'litellm_params'];
  const before = problems.list.length;

  const target = parseModelTarget(params.model);
  if (target.kind !== 'ok') problems.add([...paramsAt, 'model'], target.message);
  if (providerPrefix(params.model) === 'vllm') {
    context.warnings.push(
      `${formatPath([...paramsAt, 'model'])}: LiteLLM's vllm/ runs vLLM inside the LiteLLM process; ` +
        'Switchyard calls the vLLM server at api_base instead, as for hosted_vllm/',
    );
  }
  // Checks below still run for a refused provider, so one report names everything.
  const provider = target.kind === 'ok' ? target.provider : 'openai';
  const providerModel = target.kind === 'ok' ? target.providerModel : params.model;
  const wildcard = wildcardOf(entry.model_name, params.model, paramsAt, problems);

  let credential: Readonly<Record<string, string>> | null = null;
  if (params.litellm_credential_name != null) {
    credential = context.credentials.get(params.litellm_credential_name) ?? null;
    if (credential === null) {
      const known = [...context.credentials.keys()];
      problems.add(
        [...paramsAt, 'litellm_credential_name'],
        `credential "${params.litellm_credential_name}" is not in credential_list (${known.length === 0 ? 'the file has none' : `it has: ${known.join(', ')}`})`,
      );
    }
  }
  const resolved = resolveConnection({ provider, params, credential, env: context.env, paramsAt, problems, warnings: context.warnings });
  const aws = provider === 'bedrock' ? resolveAws(params, providerModel, context.env, paramsAt, problems) : null;
  const connection =
    aws === null
      ? resolved
      : { ...resolved, apiBase: resolved.apiBase ?? aws.endpoint, missingEnv: [...resolved.missingEnv, ...aws.missingEnv] };

  const rpm = oneLimit(entry, 'rpm', at, problems);
  const tpm = oneLimit(entry, 'tpm', at, problems);

  const defaultParams: Record<string, unknown> = {};
  for (const key of ['max_tokens', 'temperature', 'top_p'] as const) {
    const value = params[key];
    if (value != null) defaultParams[key] = value;
  }

  const timeoutSeconds = params.timeout ?? context.defaultTimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const { id: explicitId, ...modelInfo } = entry.model_info ?? {};
  const limits = limitsOf(entry, provider, wildcard === null ? providerModel : null);
  if (problems.list.length > before) return null;
  return {
    at,
    explicitId: explicitId ?? null,
    // As written, not as resolved: every service must derive the same id
    // whatever variables its environment holds.
    hashInput: `${provider}/${providerModel}|${params.api_base ?? ''}${aws === null ? '' : `|${params.aws_region_name ?? ''}|${params.aws_bedrock_runtime_endpoint ?? ''}|${params.model_id ?? ''}`}`,
    deployment: {
      modelName: entry.model_name,
      provider,
      providerModel,
      ...connection,
      rpm,
      tpm,
      maxParallelRequests: params.max_parallel_requests ?? null,
      weight: params.weight ?? null,
      timeoutMs: Math.round(timeoutSeconds * 1000),
      streamTimeoutMs: Math.round((params.stream_timeout ?? timeoutSeconds) * 1000),
      cooldownTimeMs: params.cooldown_time == null ? null : Math.round(params.cooldown_time * 1000),
      retryOnTimeout: params.retry_on_timeout ?? false,
      defaultParams,
      extraHeaders: { ...params.extra_headers },
      modelInfo: explicitId == null ? modelInfo : { id: explicitId, ...modelInfo },
      inputCostPerToken: params.input_cost_per_token ?? null,
      outputCostPerToken: params.output_cost_per_token ?? null,
      ...limits,
      dropParams: params.drop_params ?? context.dropParams,
      wildcard,
      mock: provider === 'mock' ? { latencyMs: params.mock_latency_ms ?? 0, response: params.mock_response ?? null } : null,
      ...(aws === null ? {} : { aws: aws.aws }),
      secrets: deploymentSecrets({ apiKey: connection.apiKey, apiBase: connection.apiBase, extraHeaders: { ...params.extra_headers }, aws: aws?.aws }),
    },
  };
}

/**
 * LiteLLM routes a `*` in model_name as a pattern; the text it matched fills
 * the `*` of the model. A `*` in the model with none in model_name would be
 * sent to the provider literally.
 */
function wildcardOf(modelName: string, model: string, paramsAt: PropertyKey[], problems: Problems): WildcardRoute | null {
  if (modelName.includes('*')) return { pattern: modelName, modelTemplate: model, matched: null };
  if (model.includes('*')) {
    problems.add(
      [...paramsAt, 'model'],
      `"${model}" holds a * but model_name "${modelName}" has none, so nothing fills it (write model_name: "${modelName}/*" or a pattern)`,
    );
  }
  return null;
}

/**
 * The operator's model_info wins (LiteLLM's names: `max_input_tokens` is the
 * context window, `max_output_tokens`, or the older `max_tokens`, the output
 * limit); the catalogue fills the rest. Wildcards get theirs per request.
 */
export function limitsOf(entry: ModelEntry, provider: Deployment['provider'], model: string | null): ModelLimitsSource {
  const info = entry.model_info;
  const known = model === null ? { contextWindow: null, maxOutputTokens: null } : catalogueLimits(provider, info?.base_model ?? model);
  return {
    contextWindow: info?.max_input_tokens ?? known.contextWindow,
    maxOutputTokens: info?.max_output_tokens ?? info?.max_tokens ?? known.maxOutputTokens,
  };
}

/**
 * The secrets a deployment's calls carry: its key, every `extra_headers`
 * value (a header is where proxies take their credentials; a value that is
 * not secret costs nothing but a redaction), credentials in `api_base`, and
 * a Bedrock deployment's AWS secret key and session token.
 */
export function deploymentSecrets(deployment: Pick<Deployment, 'apiKey' | 'apiBase' | 'extraHeaders' | 'aws'>): () => readonly string[] {
  const aws = deployment.aws;
  return secretList([
    deployment.apiKey?.reveal(),
    ...Object.values(deployment.extraHeaders),
    ...urlCredentials(deployment.apiBase),
    aws?.secretAccessKey?.reveal(),
    aws?.sessionToken?.reveal(),
  ]);
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
