import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';

/*
 * What a docker-compose service's environment becomes when the service runs
 * as a local process instead: host names of other compose services become
 * 127.0.0.1 (and their ports the local ones given), container paths under a
 * bind mount become the host paths. Lets a test start each service with
 * exactly the environment compose gives it.
 */

export interface ComposeEnvOptions {
  /** Values for `${VAR}` interpolation (compose takes them from the shell and `.env`); default none, so every `${VAR:-default}` takes its default. */
  variables?: Record<string, string | undefined>;
  /**
   * Local ports: by compose service (`nats`), or service and container port
   * (`jaeger:4318`) when it has several. A service's own `PORT` variable takes
   * the port given for its name. Unlisted ports stay as written.
   */
  ports?: Record<string, number>;
  /** Where the compose file's relative paths (bind mount sources) start; without it paths are left as written. */
  projectDir?: string;
  /** What a compose host name becomes; default 127.0.0.1. */
  host?: string;
}

export type ComposeEnv = Record<string, Record<string, string>>;

type Variables = Record<string, string | undefined>;

/** Reads a compose file (YAML merge keys on, as compose does). */
export function readComposeFile(path: string): unknown {
  return parse(readFileSync(path, 'utf8'), { merge: true });
}

/** Per compose service, its environment as a local process would need it. Throws on a `${VAR:?message}` whose VAR is unset. */
export function composeServiceEnv(compose: unknown, options: ComposeEnvOptions = {}): ComposeEnv {
  const services = record(record(compose)['services']);
  const serviceNames = new Set(Object.keys(services));
  const variables = options.variables ?? {};
  const result: ComposeEnv = {};
  for (const [name, rawService] of Object.entries(services)) {
    const service = record(rawService);
    const mounts = bindMounts(service['volumes'], variables);
    const env: Record<string, string> = {};
    for (const [key, raw] of environmentEntries(service['environment'], variables)) {
      let value = interpolate(raw, variables);
      value = mapUrl(value, serviceNames, options);
      if (options.projectDir !== undefined) value = mapPath(value, mounts, options.projectDir);
      env[key] = value;
    }
    const ownPort = options.ports?.[name];
    if (ownPort !== undefined && 'PORT' in env) env['PORT'] = String(ownPort);
    result[name] = env;
  }
  return result;
}

/** Compose's `environment:` as a map or a `KEY=value` list; a key without value comes from the variables, or is left out. */
function environmentEntries(environment: unknown, variables: Variables): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  const fromShell = (key: string): void => {
    const value = variables[key];
    if (value !== undefined) entries.push([key, value]);
  };
  if (Array.isArray(environment)) {
    for (const item of environment) {
      const text = String(item);
      const eq = text.indexOf('=');
      if (eq === -1) fromShell(text);
      else entries.push([text.slice(0, eq), text.slice(eq + 1)]);
    }
  } else {
    for (const [key, value] of Object.entries(record(environment))) {
      if (value === null || value === undefined) fromShell(key);
      else entries.push([key, typeof value === 'string' ? value : String(value)]);
    }
  }
  return entries;
}

/**
 * Compose variable interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`, `${VAR:?error}`, `${VAR?error}`;
 * defaults may themselves contain `${...}`. With `:` an empty value counts as unset.
 */
export function interpolate(text: string, variables: Variables): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const close = matchingBrace(text, i + 1);
      if (close === -1) throw new Error(`invalid interpolation in "${text}": missing }`);
      out += expand(text.slice(i + 2, close), variables);
      i = close + 1;
    } else {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
      if (name === undefined) {
        out += '$';
        i++;
      } else {
        out += variables[name] ?? '';
        i += 1 + name.length;
      }
    }
  }
  return out;
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function expand(body: string, variables: Variables): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-+?])([\s\S]*))?$/.exec(body);
  if (match === null) throw new Error(`invalid interpolation "\${${body}}"`);
  const [, name = '', colon, operator, rest = ''] = match;
  const value = variables[name];
  const set = colon === ':' ? value !== undefined && value !== '' : value !== undefined;
  switch (operator) {
    case undefined:
      return value ?? '';
    case '-':
      return set ? (value ?? '') : interpolate(rest, variables);
    case '+':
      return set ? interpolate(rest, variables) : '';
    default:
      if (!set) throw new Error(`required variable ${name} is not set${rest === '' ? '' : `: ${interpolate(rest, variables)}`}`);
      return value ?? '';
  }
}

const URL_AUTHORITY = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^@/?#]*@)?([^:/?#@]+)(?::(\d+))?(.*)$/s;

/** `nats://nats:4222` -> `nats://127.0.0.1:<ports.nats>` when `nats` is a compose service. */
function mapUrl(value: string, serviceNames: ReadonlySet<string>, options: ComposeEnvOptions): string {
  const match = URL_AUTHORITY.exec(value);
  if (match === null) return value;
  const [, scheme = '', userinfo = '', host = '', port, rest = ''] = match;
  if (!serviceNames.has(host)) return value;
  const mapped = (port === undefined ? undefined : options.ports?.[`${host}:${port}`]) ?? options.ports?.[host];
  const newPort = mapped === undefined ? port : String(mapped);
  return `${scheme}${userinfo}${options.host ?? '127.0.0.1'}${newPort === undefined ? '' : `:${newPort}`}${rest}`;
}

interface BindMount {
  source: string;
  target: string;
}

function bindMounts(volumes: unknown, variables: Variables): BindMount[] {
  if (!Array.isArray(volumes)) return [];
  const mounts: BindMount[] = [];
  for (const volume of volumes) {
    if (typeof volume === 'string') {
      const [source = '', target = ''] = interpolate(volume, variables).split(':');
      if (/^[./]/.test(source) && target !== '') mounts.push({ source, target });
    } else {
      const long = record(volume);
      if (long['type'] === 'bind' && typeof long['source'] === 'string' && typeof long['target'] === 'string') {
        mounts.push({ source: interpolate(long['source'], variables), target: long['target'] });
      }
    }
  }
  return mounts;
}

/** `/config/switchyard.yaml` under the mount `./infra/config:/config` -> `<projectDir>/infra/config/switchyard.yaml`. */
function mapPath(value: string, mounts: readonly BindMount[], projectDir: string): string {
  if (!value.startsWith('/')) return value;
  for (const { source, target } of mounts) {
    const base = target.replace(/\/+$/, '');
    if (value !== base && !value.startsWith(`${base}/`)) continue;
    const hostBase = isAbsolute(source) ? source : resolve(projectDir, source);
    return value === base ? hostBase : join(hostBase, value.slice(base.length + 1));
  }
  return value;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
