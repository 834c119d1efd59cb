import { readFileSync } from 'node:fs';
import { resolveEnvRef } from './env-ref.js';
import type { LiteLLMParams } from './litellm-schema.js';
import type { VertexSettings } from './model.js';
import { formatPath } from './path.js';
import type { Problems } from './path.js';
import { fromStandardEnv, VERTEX_ENV } from './provider-env.js';
import { Secret } from './secret.js';

/**
 * A `vertex_ai` deployment's project, location and credentials, read as
 * LiteLLM reads them (litellm/main.py, vertex_llm_base.py): the entry's
 * params, then the standard variables, then what the credentials say.
 * `vertex_credentials` is the JSON itself or a path to it
 * (`os.path.exists(credentials)` decides there, and here).
 */

export const DEFAULT_VERTEX_LOCATION = 'us-central1';

/** The credential types the gateway builds a google-auth-library client for (vertex/auth.ts in the providers lib). */
const CREDENTIAL_TYPES = new Set(['service_account', 'authorized_user', 'external_account']);

export interface VertexInput {
  params: LiteLLMParams;
  env: Record<string, string | undefined>;
  paramsAt: PropertyKey[];
  problems: Problems;
  warnings: string[];
  /** Variables the call needs that are unset here (the deployment's missingEnv). */
  missingEnv: string[];
}

interface Found {
  value: string;
  /** Where it came from, safe to print. */
  source: string;
}

function firstEnv(names: readonly string[], input: VertexInput): Found | null {
  const ref = fromStandardEnv(names, input.env);
  if (ref === null) return null;
  const resolved = resolveEnvRef(ref, input.env);
  return resolved.kind === 'value' ? { value: resolved.value, source: resolved.source } : null;
}

/** A param that may be an `os.environ/` reference; a missing variable is recorded and reads as unset. */
function param(value: string | null | undefined, field: string, input: VertexInput): Found | null {
  if (value == null) return null;
  const resolved = resolveEnvRef(value, input.env);
  if (resolved.kind === 'invalid') input.problems.add([...input.paramsAt, field], resolved.message);
  if (resolved.kind === 'missing') input.missingEnv.push(resolved.name);
  return resolved.kind === 'value' ? { value: resolved.value, source: resolved.source } : null;
}

function credentialsText(input: VertexInput): { found: Found | null; problem: string | null; field: string } {
  const { params } = input;
  const raw = params.vertex_credentials ?? params.vertex_ai_credentials;
  const field = params.vertex_credentials != null ? 'vertex_credentials' : 'vertex_ai_credentials';
  if (raw != null && typeof raw !== 'string') return { found: { value: JSON.stringify(raw), source: 'inline' }, problem: null, field };
  const before = input.missingEnv.length;
  const own = param(raw, field, input);
  // A reference to an unset variable is not a reason to fall back to other credentials.
  if (input.missingEnv.length > before) return { found: null, problem: null, field };
  const value = own ?? firstEnv(VERTEX_ENV.credentials, input);
  if (value !== null) return readCredentials(value, field);
  const path = firstEnv([VERTEX_ENV.applicationCredentials], input);
  return path === null ? { found: null, problem: null, field } : readCredentials({ value: path.value, source: path.source }, field, true);
}

/** The JSON itself (it starts with `{`), else a path to it. */
function readCredentials(found: Found, field: string, isPath = false): { found: Found | null; problem: string | null; field: string } {
  if (!isPath && found.value.trimStart().startsWith('{')) return { found, problem: null, field };
  const shown = found.source === 'inline' ? `the file ${found.value}` : `the file ${found.source} names`;
  try {
    return { found: { value: readFileSync(found.value, 'utf8'), source: found.source === 'inline' ? found.value : found.source }, problem: null, field };
  } catch (err) {
    // Not fatal: a service that never calls Vertex (the ingress) loads the same file without the key file.
    const code = (err as { code?: unknown }).code;
    return { found: null, problem: `${shown} cannot be read${typeof code === 'string' ? ` (${code})` : ''}`, field };
  }
}

export function resolveVertex(input: VertexInput): VertexSettings {
  const { params, paramsAt, problems } = input;
  const { found, problem, field } = credentialsText(input);
  let credentials: Secret | null = null;
  let credentialsProject: string | null = null;
  if (found !== null) {
    let json: unknown;
    try {
      json = JSON.parse(found.value);
    } catch {
      json = null;
    }
    const record = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
    const type = record?.type;
    if (record === null || typeof type !== 'string' || !CREDENTIAL_TYPES.has(type)) {
      // The value is never echoed: it is the key.
      problems.add([...paramsAt, field], `the credentials from ${found.source === 'inline' ? 'the file' : found.source} are not a Google credentials JSON (a "type" of ${[...CREDENTIAL_TYPES].join(', ')})`);
    } else {
      credentials = new Secret(found.value, found.source);
      credentialsProject = typeof record.project_id === 'string' ? record.project_id : typeof record.quota_project_id === 'string' ? record.quota_project_id : null;
    }
  }
  if (problem !== null) input.warnings.push(`${formatPath([...paramsAt, field])}: ${problem}: calls to this vertex_ai deployment fail until it can`);
  const project = param(params.vertex_project ?? params.vertex_ai_project, params.vertex_project != null ? 'vertex_project' : 'vertex_ai_project', input) ?? firstEnv(VERTEX_ENV.project, input);
  const location = param(params.vertex_location ?? params.vertex_ai_location, params.vertex_location != null ? 'vertex_location' : 'vertex_ai_location', input) ?? firstEnv(VERTEX_ENV.location, input);
  // The location becomes part of a host name: nothing but a region's letters, digits and dashes.
  if (location !== null && !/^[a-z0-9-]+$/.test(location.value)) {
    problems.add([...paramsAt, 'vertex_location'], `"${location.value}" is not a Vertex AI location (us-central1, europe-west4, global, ...)`);
  }
  return {
    project: project?.value ?? credentialsProject,
    location: location?.value ?? DEFAULT_VERTEX_LOCATION,
    credentials,
    credentialsProblem: problem,
  };
}

/** The secrets a credentials JSON holds, for the deployment's scrubber: the private key (and its PEM body on one line), client secrets, refresh tokens. */
export function vertexSecrets(vertex: VertexSettings | null | undefined): string[] {
  if (vertex?.credentials == null) return [];
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(vertex.credentials.reveal()) as Record<string, unknown>;
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of ['private_key', 'private_key_id', 'client_secret', 'refresh_token']) {
    const value = json[name];
    if (typeof value !== 'string' || value === '') continue;
    out.push(value);
    // The PEM's body on one line: how a key pasted into an env var or quoted in an error often looks.
    if (name === 'private_key') out.push(value.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''));
  }
  return out;
}
