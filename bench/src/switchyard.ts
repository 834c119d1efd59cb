import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, StackError, type ReplicaInfo, type Stack } from '@switchyard/stack';
import { cleanupBusPrefix } from './cleanup.js';
import { chatBody, MODELS, PROVIDER_KEY, type Target } from './targets.js';

/*
 * Switchyard as an operator runs it: every service a process of its own,
 * started by the same `startStack` as `pnpm stack up`, against the NATS,
 * Redis and Postgres of the environment, with a bus prefix, Redis key prefix
 * and database of its own that are removed again at the end.
 */

export interface SwitchyardOptions {
  /** The repository root (services/<name>/dist/main.js). */
  root: string;
  mockUrl: string;
  /** Where the gateway YAML is written. */
  workDir: string;
  logLevel: string;
  /** Write every replica's V8 CPU profile here when it exits. */
  cpuProfDir?: string | undefined;
  /** Base port; default a random one (retried when taken). */
  port?: number | undefined;
  /** general_settings.master_key: the targets send it (virtual keys need it). */
  masterKey?: string | undefined;
}

export interface SwitchyardRun {
  stack: Stack;
  limited: Target;
  unlimited: Target;
  prefix: string;
  replicas(): ReplicaInfo[];
  /** Stops every replica, then removes the run's streams, Redis keys and database. */
  stop(): Promise<void>;
}

/** One deployment of the mock, twice: with limits (the limiter's Redis script runs) and without. */
export function gatewayConfig(mockUrl: string, masterKey?: string): string {
  const entry = (name: string, limits: string): string => `  - model_name: ${name}
    litellm_params:
      model: openai/${MODELS.provider}
      api_base: ${mockUrl}
      api_key: os.environ/BENCH_PROVIDER_KEY${limits}
    model_info:
      id: ${name}`;
  return `# Written by pnpm bench.
model_list:
${entry(MODELS.limited, '\n      rpm: 100000000\n      tpm: 100000000000')}
${entry(MODELS.unlimited, '')}
general_settings:
  on_limiter_unavailable: reject
${masterKey ? `  master_key: ${masterKey}\n` : ''}`;
}

export async function startSwitchyard(options: SwitchyardOptions): Promise<SwitchyardRun> {
  mkdirSync(options.workDir, { recursive: true });
  const config = join(options.workDir, 'gateway.yaml');
  writeFileSync(config, gatewayConfig(options.mockUrl, options.masterKey));
  const auth: Record<string, string> = options.masterKey ? { authorization: `Bearer ${options.masterKey}` } : {};
  const prefix = `bench_${randomBytes(4).toString('hex')}`;
  const adminUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/switchyard';
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/sy_${prefix}`;
  const env: Record<string, string | undefined> = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    NATS_URL: process.env['NATS_URL'],
    REDIS_URL: process.env['REDIS_URL'],
    DATABASE_URL: databaseUrl.toString(),
    SWITCHYARD_BUS_PREFIX: prefix,
    HOST: '127.0.0.1',
    LOG_LEVEL: options.logLevel,
    SHUTDOWN_GRACE_MS: '5000',
    BENCH_PROVIDER_KEY: PROVIDER_KEY,
  };
  if (options.cpuProfDir) {
    mkdirSync(options.cpuProfDir, { recursive: true });
    env['NODE_OPTIONS'] = `--cpu-prof --cpu-prof-dir=${options.cpuProfDir}`;
  }
  const output: string[] = [];
  const remember = (line: string): void => {
    output.push(line);
    if (output.length > 200) output.splice(0, 100);
  };

  let stack: Stack | undefined;
  for (let attempt = 1; stack === undefined; attempt++) {
    try {
      stack = await startStack({
        root: options.root,
        config,
        // Below Linux's ephemeral range (32768-60999), where outgoing connections take their ports.
        port: options.port ?? randomInt(10_000, 30_000),
        env,
        onOutput: remember,
        stopTimeoutMs: 15_000,
      });
    } catch (error) {
      const portTaken = error instanceof StackError && error.message.startsWith('cannot use port');
      if (!portTaken || attempt >= 3 || options.port !== undefined) {
        const detail = output.slice(-20).join('\n');
        throw new Error(`Switchyard did not start: ${error instanceof Error ? error.message : String(error)}\n${detail}`, { cause: error });
      }
    }
  }
  const running = stack;
  const pids = (): Array<{ name: string; pid: number }> => running.replicas.map((replica) => ({ name: replica.name, pid: replica.pid }));
  const target = (model: string, id: Target['id'], label: string): Target => ({
    id,
    label,
    url: `${running.ingressUrls[0]!}/chat/completions`,
    headers: { ...auth },
    model,
    get pids() {
      return pids();
    },
  });
  // First requests load code paths and open pools: not part of any figure.
  for (const model of [MODELS.limited, MODELS.unlimited]) {
    const response = await fetch(`${running.ingressUrls[0]!}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: chatBody(model),
    });
    if (response.status !== 200) throw new Error(`Switchyard answered ${response.status} to a first request: ${await response.text()}`);
  }
  return {
    stack: running,
    limited: target(MODELS.limited, 'switchyard', 'Switchyard'),
    unlimited: target(MODELS.unlimited, 'switchyard-nolimits', 'Switchyard, limits off'),
    prefix,
    replicas: () => running.replicas,
    async stop() {
      await running.stop();
      await cleanupBusPrefix({ prefix, adminUrl, databaseUrl: databaseUrl.toString() });
    },
  };
}
