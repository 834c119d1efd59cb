import { DEFAULT_BASE_PORT, MAX_REPLICAS, SERVICE_NAMES, isServiceName } from './services.js';
import type { ServiceName } from './services.js';

export type Scale = Partial<Record<ServiceName, number>>;

export type CliCommand =
  | { command: 'help' }
  | {
      command: 'up';
      /** As written on the command line; the CLI resolves it against the caller's directory. */
      config: string | undefined;
      /** Only the services named by --scale; the others get one replica. */
      scale: Scale;
      port: number;
    };

/** A command line that cannot be run; the message is meant for the user as is. */
export class ArgsError extends Error {
  override name = 'ArgsError';
}

export const USAGE = `usage: pnpm stack up [--config FILE] [--scale SERVICE=N[,SERVICE=N...]]... [--port P]

Starts every Switchyard service as local processes against the NATS, Redis and
Postgres named by NATS_URL, REDIS_URL and DATABASE_URL (default: local ports).

  --config FILE   gateway YAML (LiteLLM proxy format); default: built-in mock config
  --scale S=N     replicas of a service (${SERVICE_NAMES.join(', ')}); default 1 each;
                  repeat the option or separate entries with commas
  --port P        base port (default ${DEFAULT_BASE_PORT}): ingress replica i on P+i, limiter on P+100+i,
                  upstream-caller on P+200+i, learner on P+300+i,
                  keys on P+400+i, ledger on P+500+i
  -h, --help      this text`;

const VALUE_OPTIONS = ['--config', '--scale', '--port'] as const;
type ValueOption = (typeof VALUE_OPTIONS)[number];

function isValueOption(value: string): value is ValueOption {
  return (VALUE_OPTIONS as readonly string[]).includes(value);
}

/** The launcher's command line (without `node cli.js`) -> what to do. Throws `ArgsError`. */
export function parseArgs(argv: readonly string[]): CliCommand {
  if (argv.includes('-h') || argv.includes('--help')) return { command: 'help' };
  const positional: string[] = [];
  let config: string | undefined;
  let port: number | undefined;
  const scale: Scale = {};

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    // `pnpm stack -- up ...` passes the separator through.
    if (arg === '--') continue;
    if (!arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const option = eq === -1 ? arg : arg.slice(0, eq);
    if (!isValueOption(option)) throw new ArgsError(`unknown option ${option}`);
    let value: string;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ArgsError(`${option} needs a value`);
      value = next;
      i++;
    }
    if (option === '--config') {
      if (value === '') throw new ArgsError('--config needs a file path');
      if (config !== undefined) throw new ArgsError('--config given twice');
      config = value;
    } else if (option === '--port') {
      if (port !== undefined) throw new ArgsError('--port given twice');
      port = parsePort(value);
    } else {
      addScale(scale, value);
    }
  }

  const [command, ...extra] = positional;
  if (command === undefined) throw new ArgsError('missing command (expected: up)');
  if (command !== 'up') throw new ArgsError(`unknown command "${command}" (expected: up)`);
  if (extra.length > 0) throw new ArgsError(`unexpected argument "${extra[0] ?? ''}"`);
  return { command: 'up', config, scale, port: port ?? DEFAULT_BASE_PORT };
}

function parsePort(value: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) {
    throw new ArgsError(`--port: "${value}" is not a port number (1-65535)`);
  }
  return port;
}

/** `ingress=2,learner=1` into `scale`; a service named twice (in one option or across options) is an error. */
function addScale(scale: Scale, value: string): void {
  for (const entry of value.split(',')) {
    const match = /^([^=]+)=(.*)$/.exec(entry.trim());
    if (match === null) throw new ArgsError(`--scale: "${entry}" is not SERVICE=N`);
    const [, rawName = '', rawCount = ''] = match;
    const name = rawName.trim();
    if (!isServiceName(name)) {
      throw new ArgsError(`--scale: unknown service "${name}" (services: ${SERVICE_NAMES.join(', ')})`);
    }
    const count = /^\d+$/.test(rawCount.trim()) ? Number(rawCount.trim()) : NaN;
    if (!Number.isSafeInteger(count) || count > MAX_REPLICAS) {
      throw new ArgsError(`--scale: ${name}=${rawCount} is not a replica count (0-${MAX_REPLICAS})`);
    }
    if (scale[name] !== undefined) throw new ArgsError(`--scale: ${name} given twice`);
    scale[name] = count;
  }
}
