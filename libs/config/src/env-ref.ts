import { Secret } from './secret.js';

/**
 * LiteLLM's `os.environ/NAME` references. The loader resolves them from the env
 * map it is given, never from `process.env`, so tests and services decide what
 * a process can see.
 */

const PREFIX = 'os.environ/';
const ENV_REF = /^os\.environ\/([A-Za-z_][A-Za-z0-9_]*)$/;

export type EnvLookup =
  | { kind: 'value'; value: string; source: string }
  | { kind: 'missing'; name: string }
  | { kind: 'invalid'; message: string };

export function resolveEnvRef(value: string, env: Record<string, string | undefined>): EnvLookup {
  if (!value.startsWith(PREFIX)) return { kind: 'value', value, source: 'inline' };
  const name = ENV_REF.exec(value)?.[1];
  if (name === undefined) {
    return { kind: 'invalid', message: `"${value}" is not a valid reference (expected os.environ/NAME, NAME made of letters, digits and _)` };
  }
  const found = env[name];
  // An empty variable is treated as unset: `FOO=` in a compose file is how people unset things.
  if (found === undefined || found === '') return { kind: 'missing', name };
  return { kind: 'value', value: found, source: `${PREFIX}${name}` };
}

export function toSecret(lookup: Extract<EnvLookup, { kind: 'value' }>): Secret {
  return new Secret(lookup.value, lookup.source);
}
