import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_YAML } from './default-config.js';
import { addSharedSecrets, assignIds, draftDeployment } from './deployment.js';
import type { DeploymentDraft, DraftContext } from './deployment.js';
import {
  AdaptiveRouterEntrySchema,
  CredentialSchema,
  GeneralSettingsSchema,
  LiteLLMSettingsSchema,
  ModelEntrySchema,
  RouterSettingsSchema,
  TopLevelSchema,
  isAdaptiveRouterEntry,
  isRecord,
} from './litellm-schema.js';
import type { LiteLLMModuleSettings } from './litellm-schema.js';
import { buildAdaptiveRouters } from './adaptive-router.js';
import type { Deployment, GatewayConfig } from './model.js';
import { formatPath, Problems } from './path.js';
import { matchPattern, patternOrder } from './resolve.js';
import {
  buildAliases,
  buildGeneralSettings,
  buildLiteLLMSettings,
  buildRouterSettings,
  listNames,
  routingMessages,
} from './settings.js';
import { buildReliability } from './reliability.js';
import { findUnsupportedKeys } from './unsupported-keys.js';
import { YamlProblems, readLiteLLMYaml } from './yaml.js';

interface AdaptiveRouterEntry {
  name: string;
  raw: Record<string, unknown>;
  index: number;
}

/** Above this many deployments without rpm/tpm, the operator is told at start. */
const UNLIMITED_WARNING_THRESHOLD = 10;

/**
 * A config file that cannot be used. The message names the file and every
 * problem with its field path, then the warnings (unsupported keys, ...) the
 * file would also get, so one round of edits fixes everything.
 */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    /** `field.path: what is wrong`, one per problem. */
    readonly problems: string[],
    /** What the file would be warned about if it loaded. */
    readonly warnings: string[] = [],
  ) {
    super([...problems, ...warnings.map((warning) => `warning: ${warning}`)].map((line) => `${source}: ${line}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export interface ParseOptions {
  /** Where the text came from, for messages: a path or `<default>`. */
  source: string;
  /** Where `os.environ/NAME` references are looked up; pass `process.env` from main. */
  env: Record<string, string | undefined>;
}

// zod says "expected string, received undefined" for a missing field; an operator reads "required".
const parseOptions = {
  error: (issue: z.core.$ZodRawIssue): string | undefined =>
    issue.code === 'invalid_type' && issue.input === undefined ? `required (${issue.expected})` : undefined,
};

/** The LiteLLM proxy YAML -> the validated, resolved config. Throws `ConfigError`. */
export function parseGatewayConfig(text: string, options: ParseOptions): GatewayConfig {
  const { source } = options;
  let raw: unknown;
  const warnings: string[] = [];
  try {
    const read = readLiteLLMYaml(text);
    raw = read.value;
    warnings.push(...read.warnings);
  } catch (error) {
    if (error instanceof YamlProblems) throw new ConfigError(source, error.problems);
    throw error;
  }
  if (!isRecord(raw)) {
    throw new ConfigError(source, [`${formatPath([])}: expected a mapping with model_list, found ${describe(raw)}`]);
  }
  const problems = new Problems();
  const unsupported = findUnsupportedKeys(raw);
  if (unsupported.length > 0) warnings.push(`ignoring unsupported keys: ${unsupported.join(', ')}`);

  const top = TopLevelSchema.safeParse(raw, parseOptions);
  if (!top.success) problems.addIssues([], top.error.issues);
  // LiteLLM puts environment_variables into its environment at start, over what was there.
  const fileEnv = top.success ? top.data.environment_variables ?? {} : {};
  const env = { ...options.env, ...Object.fromEntries(Object.entries(fileEnv).map(([name, value]) => [name, String(value)])) };

  const litellmRaw = section(raw, 'litellm_settings', LiteLLMSettingsSchema, problems);
  const litellm = buildLiteLLMSettings(litellmRaw ?? {});
  const routerRaw = section(raw, 'router_settings', RouterSettingsSchema, problems) ?? {};
  const context: DraftContext = {
    env,
    credentials: readCredentials(raw['credential_list'], problems),
    dropParams: litellm.dropParams,
    // LiteLLM's router: its own timeout, which defaults to litellm.request_timeout.
    defaultTimeoutSeconds: routerRaw.timeout ?? litellmRaw?.request_timeout ?? null,
    problems,
    warnings,
  };

  const { drafts, routers } = readModelList(raw['model_list'], context);
  const deployments = assignIds(drafts, problems);
  const groups = new Map<string, Deployment[]>();
  const wildcards = new Map<string, Deployment[]>();
  for (const deployment of deployments) {
    const into = deployment.wildcard === null ? groups : wildcards;
    const group = into.get(deployment.modelName);
    if (group === undefined) into.set(deployment.modelName, [deployment]);
    else group.push(deployment);
  }
  const sortedWildcards = new Map([...wildcards].sort(([a], [b]) => patternOrder(a, b)));
  const routerNames = checkRouterNames(routers, groups, problems);
  const adaptive = buildAdaptiveRouters(routers, groups, problems);

  const routerBase = buildRouterSettings(routerRaw, litellmRaw ?? ({} as LiteLLMModuleSettings), env, problems);
  const aliases = buildAliases(routerBase, groups, routerNames, problems);
  const generalRaw = section(raw, 'general_settings', GeneralSettingsSchema, problems) ?? {};
  const general = buildGeneralSettings(generalRaw, env, problems);
  const serves = (name: string) => groups.has(name) || aliases.has(name) || [...sortedWildcards.keys()].some((pattern) => matchPattern(pattern, name) !== null);
  const reliability = buildReliability(routerRaw, litellmRaw ?? {}, generalRaw, serves, warnings);
  const router = { ...routerBase, reliability };
  const routing = routingMessages(router, deployments);
  warnings.push(...routing.warnings, ...limitWarnings(deployments));
  if (adaptive.unsupported.length > 0) warnings.push(`ignoring unsupported routers: ${adaptive.unsupported.join(', ')}`);

  if (!problems.empty) throw new ConfigError(source, problems.list, warnings);
  addSharedSecrets(deployments, [general.masterKey, router.redisUrl]);
  return {
    source,
    deployments,
    groups,
    wildcards: sortedWildcards,
    aliases,
    routers: adaptive.routers,
    router,
    general,
    litellm,
    warnings,
    notes: routing.notes,
  };
}

function section<T>(raw: Record<string, unknown>, key: string, schema: z.ZodType<T>, problems: Problems): T | null {
  const parsed = schema.safeParse(raw[key] ?? {}, parseOptions);
  if (parsed.success) return parsed.data;
  problems.addIssues([key], parsed.error.issues);
  return null;
}

function readCredentials(raw: unknown, problems: Problems): Map<string, Record<string, string>> {
  const credentials = new Map<string, Record<string, string>>();
  if (raw == null) return credentials;
  if (!Array.isArray(raw)) {
    problems.add(['credential_list'], 'expected a list of { credential_name, credential_values }');
    return credentials;
  }
  raw.forEach((entry: unknown, i) => {
    const parsed = CredentialSchema.safeParse(entry, parseOptions);
    if (!parsed.success) return problems.addIssues(['credential_list', i], parsed.error.issues);
    const name = parsed.data.credential_name;
    if (credentials.has(name)) problems.add(['credential_list', i, 'credential_name'], `credential "${name}" is defined twice`);
    credentials.set(name, parsed.data.credential_values);
  });
  return credentials;
}

function readModelList(list: unknown, context: DraftContext): { drafts: DeploymentDraft[]; routers: AdaptiveRouterEntry[] } {
  const drafts: DeploymentDraft[] = [];
  const routers: AdaptiveRouterEntry[] = [];
  const entries: unknown[] = Array.isArray(list) ? list : [];
  entries.forEach((entry, i) => {
    const at = ['model_list', i];
    if (isAdaptiveRouterEntry(entry)) {
      const parsed = AdaptiveRouterEntrySchema.safeParse(entry, parseOptions);
      // Kept as written (the object from the file), for the router config to parse later.
      if (parsed.success) routers.push({ name: parsed.data.model_name, raw: entry as Record<string, unknown>, index: i });
      else context.problems.addIssues(at, parsed.error.issues);
      return;
    }
    const parsed = ModelEntrySchema.safeParse(entry, parseOptions);
    if (parsed.success) {
      const draft = draftDeployment(parsed.data, at, context);
      if (draft !== null) drafts.push(draft);
      return;
    }
    context.problems.addIssues(at, parsed.error.issues);
    // The other fields still get their checks (provider, api_base, credential, ...), so one report names them all.
    const rest = ModelEntrySchema.safeParse(withoutPaths(entry, parsed.error.issues.map((issue) => issue.path)), parseOptions);
    if (rest.success) draftDeployment(rest.data, at, context);
  });
  return { drafts, routers };
}

/** A copy of `value` without the fields at `paths` (the ones already reported). */
function withoutPaths(value: unknown, paths: ReadonlyArray<readonly PropertyKey[]>): unknown {
  const copy: unknown = structuredClone(value);
  for (const path of paths) {
    let node: unknown = copy;
    for (const key of path.slice(0, -1)) node = isRecord(node) || Array.isArray(node) ? (node as Record<PropertyKey, unknown>)[key as string] : undefined;
    const last = path[path.length - 1];
    if (isRecord(node) && last !== undefined) delete node[last as string];
  }
  return copy;
}

/** Reads the file at `path`; no path means the built-in mock-only config. Throws `ConfigError`. */
export function loadGatewayConfig(path: string | undefined, env: Record<string, string | undefined>): GatewayConfig {
  if (path === undefined) return parseGatewayConfig(DEFAULT_CONFIG_YAML, { source: DEFAULT_CONFIG_SOURCE, env });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(path, [`cannot read the file: ${reason}`]);
  }
  return parseGatewayConfig(text, { source: path, env });
}

/** A client's `model` must name one thing: router names are unique and are not group names. */
function checkRouterNames(
  routers: AdaptiveRouterEntry[],
  groups: ReadonlyMap<string, Deployment[]>,
  problems: Problems,
): Set<string> {
  const names = new Set<string>();
  for (const router of routers) {
    const path = ['model_list', router.index, 'model_name'];
    if (names.has(router.name)) problems.add(path, `adaptive router "${router.name}" is defined twice`);
    else if (groups.has(router.name)) problems.add(path, `"${router.name}" is both an adaptive router and a model group`);
    names.add(router.name);
  }
  return names;
}

function limitWarnings(deployments: Deployment[]): string[] {
  const unlimited = deployments.filter((deployment) => deployment.rpm === null && deployment.tpm === null);
  if (unlimited.length <= UNLIMITED_WARNING_THRESHOLD) return [];
  return [
    `${unlimited.length} deployments have neither rpm nor tpm, so nothing limits them: ` +
      `${listNames(unlimited.map((deployment) => deployment.id))} (set rpm or tpm in litellm_params)`,
  ];
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'an empty document';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
