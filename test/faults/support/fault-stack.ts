import { randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { busNames } from '@switchyard/contracts';
import { probeReady, startStack, StackError, type ReplicaExitEvent, type ServiceName, type Stack } from '@switchyard/stack';
import { uniquePrefix } from '../../harness/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The learner's JetStream ack wait in fault stacks (the default is 30 s): how soon unacked events come back. */
export const LEARNER_ACK_WAIT_MS = 5_000;

/** One line of the ingress's audit log (one per request). */
export interface AuditLine {
  audit: true;
  requestId: string;
  clientRequestId: string | null;
  status: number;
  outcome: string;
  providerCalls: number;
  attempts: number;
  deployment: string | null;
}

export interface FaultStack {
  stack: Stack;
  prefix: string;
  /** Every line every replica printed, prefixed with the replica's name. */
  output: string[];
  exits: ReplicaExitEvent[];
  /** The ingress audit lines so far, by the client's request id (the load sends its marker as x-request-id). */
  audit(): Map<string, AuditLine>;
  /** Polls every replica's /readyz until all answer 200; returns the ms it took. */
  allReady(timeoutMs?: number): Promise<number>;
  /** Polls the /readyz of the replicas named until each answers 200. */
  ready(replicas: Array<[ServiceName, number]>, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export interface FaultStackOptions {
  natsUrl: string;
  redisUrl: string;
  databaseUrl: string;
  configYaml: string;
  scale: Partial<Record<ServiceName, number>>;
  env?: Record<string, string>;
}

/**
 * The services as real processes (from dist, as `pnpm stack up` runs them)
 * against the NATS, Redis and Postgres the fault test owns, on a bus prefix
 * of their own, with their output captured.
 */
export async function startFaultStack(options: FaultStackOptions): Promise<FaultStack> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-faults-'));
  const config = join(dir, 'gateway.yaml');
  await writeFile(config, options.configYaml);
  const prefix = uniquePrefix('f');
  const output: string[] = [];
  const exits: ReplicaExitEvent[] = [];
  let stack: Stack | undefined;
  // A base port whose ranges another process holds is refused before anything starts: try another.
  for (let attempt = 1; stack === undefined; attempt++) {
    try {
      stack = await startStack({
        root: ROOT,
        config,
        // The ledger only where a fault test asks for it: these measure the request path and the learner.
        scale: { ledger: 0, ...options.scale },
        port: randomInt(20_000, 40_000),
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NATS_URL: options.natsUrl,
          REDIS_URL: options.redisUrl,
          DATABASE_URL: options.databaseUrl,
          SWITCHYARD_BUS_PREFIX: prefix,
          HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
          SHUTDOWN_GRACE_MS: '15000',
          // Events a dead learner (or a dead NATS) left unacked come back after this, not the default 30 s.
          LEARNER_ACK_WAIT_MS: String(LEARNER_ACK_WAIT_MS),
          ...options.env,
        },
        onOutput: (line) => output.push(line),
        onExit: (event) => exits.push(event),
        readyTimeoutMs: 45_000,
        stopTimeoutMs: 20_000,
      });
    } catch (error) {
      const portTaken = error instanceof StackError && error.message.startsWith('cannot use port');
      if (!portTaken || attempt >= 3) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const started = stack;

  const ready = async (replicas: Array<[ServiceName, number]>, timeoutMs = 30_000): Promise<number> => {
    const from = Date.now();
    const ports = replicas.map(([service, index]) => {
      const replica = started.replicas.find((r) => r.service === service && r.index === index);
      if (!replica) throw new Error(`no replica ${service}-${index}`);
      return { name: replica.name, port: replica.port };
    });
    const last = new Map<string, string>();
    await Promise.all(
      ports.map(async ({ name, port }) => {
        for (;;) {
          const seen = await probeReady(port, { timeoutMs: 1_000 });
          if (seen === null) return;
          last.set(name, seen);
          if (Date.now() - from > timeoutMs) throw new Error(`${name} not ready after ${timeoutMs} ms: ${seen}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }),
    );
    return Date.now() - from;
  };

  return {
    stack: started,
    prefix,
    output,
    exits,
    audit() {
      const lines = new Map<string, AuditLine>();
      for (const line of output) {
        if (!line.startsWith('ingress-')) continue;
        const json = line.slice(line.indexOf('| ') + 2);
        if (!json.startsWith('{') || !json.includes('"audit":true')) continue;
        const parsed = JSON.parse(json) as AuditLine;
        lines.set(parsed.clientRequestId ?? parsed.requestId, parsed);
      }
      return lines;
    },
    allReady: (timeoutMs) => ready(started.replicas.map((replica) => [replica.service, replica.index]), timeoutMs),
    ready,
    async stop() {
      await started.stop();
      // For a look after a failed run: SWITCHYARD_FAULTS_LOGS=<dir> keeps every replica's output.
      const keep = process.env.SWITCHYARD_FAULTS_LOGS;
      if (keep) await writeFile(join(keep, `${prefix}.log`), output.join('\n'));
      await rm(dir, { recursive: true, force: true });
      await dropBusState(options.natsUrl, prefix);
    },
  };
}

/** One deployment group `chat` on the mock provider (several members spread the load), in LiteLLM format. */
export function faultConfig(
  mockUrl: string,
  options: {
    timeoutSeconds: number;
    numRetries?: number;
    members?: number;
    limits?: { rpm?: number; maxParallel?: number };
    masterKey?: string;
    apiKey?: string;
  },
): string {
  const entries: string[] = [];
  for (let i = 0; i < (options.members ?? 1); i++) {
    const limits = [
      options.limits?.rpm !== undefined ? `      rpm: ${options.limits.rpm}` : null,
      options.limits?.maxParallel !== undefined ? `      max_parallel_requests: ${options.limits.maxParallel}` : null,
    ].filter((line) => line !== null);
    entries.push(
      [
        '  - model_name: chat',
        '    litellm_params:',
        `      model: openai/fault-model-${i}`,
        `      api_base: ${mockUrl}`,
        `      api_key: ${options.apiKey ?? 'sk-mock'}`,
        `      timeout: ${options.timeoutSeconds}`,
        ...limits,
      ].join('\n'),
    );
  }
  return [
    'model_list:',
    ...entries,
    'router_settings:',
    `  num_retries: ${options.numRetries ?? 0}`,
    'general_settings:',
    '  on_limiter_unavailable: reject',
    ...(options.masterKey ? [`  master_key: ${options.masterKey}`] : []),
    '',
  ].join('\n');
}

/** Deletes the streams a stack created under its prefix (events, bodies, cells), so a shared NATS does not keep them. */
async function dropBusState(natsUrl: string, prefix: string): Promise<void> {
  const names = busNames(prefix);
  const nc = await connect({ servers: natsUrl, timeout: 2_000 }).catch(() => null);
  if (!nc) return; // a NATS of the test's own, already gone
  try {
    const jsm = await nc.jetstreamManager();
    for (const stream of [names.eventsStream, `OBJ_${names.bodyBucket}`, `KV_${names.cellsBucket}`]) {
      await jsm.streams.delete(stream).catch(() => undefined);
    }
  } catch {
    // JetStream not answering: nothing to tidy
  } finally {
    await nc.close();
  }
}
