import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { YAMLError } from 'yaml';
import type { z } from 'zod';
import { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_YAML } from './default-config.js';
import { addSharedSecrets, assignIds, draftDeployment } from './deployment.js';
import type { DeploymentDraft } from './deployment.js';
import {
  AdaptiveRouterEntrySchema,
  GeneralSettingsSchema,
  ModelEntrySchema,
  RouterSettingsSchema,
  TopLevelSchema,
  findUnsupportedKeys,
  isAdaptiveRouterEntry,
  isRecord,
} from './litellm-schema.js';
import { buildAdaptiveRouters } from './adaptive-router.js';
import type { Deployment, GatewayConfig } from './model.js';

interface AdaptiveRouterEntry {
  name: string;
  raw: Record<string, unknown>;
}
import { formatPath, Problems } from './path.js';
import { buildAliases, buildGeneralSettings, buildRouterSettings, listNames } from './settings.js';

/** Above this many deployments without rpm/tpm, the operator is told at start. */
const UNLIMITED_WARNING_THRESHOLD = 10;

/** A config file that cannot be used. The message names the file and every problem with its field path. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    /** `field.path: what is wrong`, one per problem. */
    readonly problems: string[],
  ) {
    super(problems.map((problem) => `${source}: ${problem}`).join('\n'));
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
  const { source, env } = options;
  const raw = readYaml(text, source);
  if (!isRecord(raw)) {
    throw new ConfigError(source, [`${formatPath([])}: expected a mapping with model_list, found ${describe(raw)}`]);
  }
  const problems = new Problems();

  const top = TopLevelSchema.safeParse(raw, parseOptions);
  if (!top.success) problems.addIssues([], top.error.issues);
  const entries: unknown[] = Array.isArray(raw['model_list']) ? raw['model_list'] : [];

  const drafts: DeploymentDraft[] = [];
  const routers: Array<AdaptiveRouterEntry & { index: number }> = [];
  entries.forEach((entry, i) => {
    const at = ['model_list', i];
    if (isAdaptiveRouterEntry(entry)) {
      const parsed = AdaptiveRouterEntrySchema.safeParse(entry, parseOptions);
      // Kept as written (the object from the file), for the router config to parse later.
      if (parsed.success) routers.push({ name: parsed.data.model_name, raw: entry as Record<string, unknown>, index: i });
      else problems.addIssues(at, parsed.error.issues);
      return;
    }
    const parsed = ModelEntrySchema.safeParse(entry, parseOptions);
    if (!parsed.success) {
      problems.addIssues(at, parsed.error.issues);
      return;
    }
    const draft = draftDeployment(parsed.data, at, env, problems);
    if (draft !== null) drafts.push(draft);
  });
  const deployments = assignIds(drafts, problems);

  const groups = new Map<string, Deployment[]>();
  for (const deployment of deployments) {
    const group = groups.get(deployment.modelName);
    if (group === undefined) groups.set(deployment.modelName, [deployment]);
    else group.push(deployment);
  }
  const routerNames = checkRouterNames(routers, groups, problems);
  const adaptive = buildAdaptiveRouters(routers, groups, problems);

  const routerRaw = RouterSettingsSchema.safeParse(raw['router_settings'] ?? {}, parseOptions);
  if (!routerRaw.success) problems.addIssues(['router_settings'], routerRaw.error.issues);
  const router = buildRouterSettings(routerRaw.success ? routerRaw.data : {}, env, problems);
  const aliases = buildAliases(router, groups, routerNames, problems);

  const generalRaw = GeneralSettingsSchema.safeParse(raw['general_settings'] ?? {}, parseOptions);
  if (!generalRaw.success) problems.addIssues(['general_settings'], generalRaw.error.issues);
  const general = buildGeneralSettings(generalRaw.success ? generalRaw.data : {}, env, problems);

  if (!problems.empty) throw new ConfigError(source, problems.list);
  addSharedSecrets(deployments, [general.masterKey, router.redisUrl]);
  return {
    source,
    deployments,
    groups,
    aliases,
    routers: adaptive.routers,
    router,
    general,
    warnings: [
      ...warningsFor(raw, deployments),
      ...(adaptive.unsupported.length > 0 ? [`ignoring unsupported routers: ${adaptive.unsupported.join(', ')}`] : []),
    ],
  };
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

function readYaml(text: string, source: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigError(source, doc.errors.map(yamlProblem));
  try {
    return doc.toJS();
  } catch (error) {
    // toJS fails on alias bombs and the like, after a clean parse.
    throw new ConfigError(source, [`invalid YAML: ${error instanceof Error ? error.message : String(error)}`]);
  }
}

function yamlProblem(error: YAMLError): string {
  // The message ends with an excerpt of the file, which may hold an inline
  // key: keep only its first line, without the position it repeats.
  const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  const at = error.linePos?.[0];
  return at === undefined ? `invalid YAML: ${message}` : `line ${at.line}, column ${at.col}: invalid YAML: ${message}`;
}

/** A client's `model` must name one thing: router names are unique and are not group names. */
function checkRouterNames(
  routers: Array<AdaptiveRouterEntry & { index: number }>,
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

function warningsFor(raw: Record<string, unknown>, deployments: Deployment[]): string[] {
  const warnings: string[] = [];
  const unsupported = findUnsupportedKeys(raw);
  if (unsupported.length > 0) warnings.push(`ignoring unsupported keys: ${unsupported.join(', ')}`);
  const unlimited = deployments.filter((deployment) => deployment.rpm === null && deployment.tpm === null);
  if (unlimited.length > UNLIMITED_WARNING_THRESHOLD) {
    warnings.push(
      `${unlimited.length} deployments have neither rpm nor tpm, so nothing limits them: ` +
        `${listNames(unlimited.map((deployment) => deployment.id))} (set rpm or tpm in litellm_params)`,
    );
  }
  return warnings;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'an empty document';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
