import { resolve } from 'node:path';
import type { Scale } from './args.js';
import { StackError } from './errors.js';
import { connectHost, ingressUrl, planReplicas } from './plan.js';
import type { ReplicaSpec } from './plan.js';
import { checkBuilt, checkConfigFile, checkPortsFree } from './preflight.js';
import { waitUntilReady } from './readiness.js';
import { spawnReplica, terminate } from './replica.js';
import type { RunningReplica } from './replica.js';
import { SERVICE_NAMES } from './services.js';
import type { ServiceName } from './services.js';

export interface StackOptions {
  /** The repository root: where `services/<name>/dist/main.js` are. */
  root: string;
  /** Gateway YAML, passed as SWITCHYARD_CONFIG (made absolute); default: the environment's, else built-in. */
  config?: string | undefined;
  /** Replicas per service; 1 for a service not named. */
  scale?: Scale | undefined;
  /** Base port (default 4000): ingress i on port+i, limiter port+100+i, upstream-caller port+200+i, learner port+300+i, keys port+400+i, ledger port+500+i. */
  port?: number | undefined;
  /** Every replica's environment, before PORT, SWITCHYARD_INSTANCE_ID and SWITCHYARD_CONFIG; default `process.env`. */
  env?: Record<string, string | undefined> | undefined;
  /** Each line a replica prints (stdout and stderr), prefixed with its name: `limiter-0       | {...}`. */
  onOutput?: ((line: string, replica: string) => void) | undefined;
  /** A replica exited after the stack was ready. `expected`: by `stop()` or `kill()`. */
  onExit?: ((event: ReplicaExitEvent) => void) | undefined;
  /**
   * Start a replica that died again, after a backoff (compose's `restart:
   * unless-stopped`): 100 ms, doubling up to 10 s, back to 100 ms once a
   * replica ran for 10 s. Off by default: fault tests judge a death themselves.
   */
  restartDied?: boolean | { initialBackoffMs?: number; maxBackoffMs?: number } | undefined;
  /** A replica that died was started again (`restartDied`). */
  onRestart?: ((replica: ReplicaInfo) => void) | undefined;
  /** How long every replica has to answer 200 on /readyz (default 30 s). */
  readyTimeoutMs?: number | undefined;
  /** How long `stop()` waits for the replicas to drain before SIGKILL (default 30 s). */
  stopTimeoutMs?: number | undefined;
  /** Aborting it during startup stops what was started and rejects. */
  signal?: AbortSignal | undefined;
}

export interface ReplicaInfo {
  service: ServiceName;
  index: number;
  name: string;
  port: number;
  pid: number;
}

export interface ReplicaExitEvent {
  service: ServiceName;
  index: number;
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  expected: boolean;
  /** It is started again after this many ms (`restartDied`), else null. */
  restartInMs: number | null;
}

export interface Stack {
  /** `http://127.0.0.1:<port>/v1`, one per ingress replica. */
  readonly ingressUrls: string[];
  /** The current replicas (a snapshot: a restarted replica has a new pid). */
  readonly replicas: ReplicaInfo[];
  /** Stops every replica, ingress first then down the request path; SIGKILL after the stop timeout. Idempotent. */
  stop(): Promise<void>;
  /** Sends a signal to one replica (fault tests); its exit is reported as expected. */
  kill(service: ServiceName, index: number, signal?: NodeJS.Signals): void;
  /** Starts a replica again (after `kill`) on the same port and waits until it is ready. */
  restart(service: ServiceName, index: number): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_TIMEOUT_MS = 30_000;
const DEFAULT_INITIAL_BACKOFF_MS = 100;
const DEFAULT_MAX_BACKOFF_MS = 10_000;
/** A replica that ran this long before it died starts the backoff over. */
const BACKOFF_RESET_AFTER_MS = 10_000;

interface Slot {
  spec: ReplicaSpec;
  running: RunningReplica;
  /** Its current process was sent a signal on purpose. */
  expected: boolean;
  /** Deaths in a row, each soon after its start: the exponent of the restart backoff. */
  quickDeaths: number;
}

/** Starts every replica as a local process and resolves when all answer 200 on /readyz. Throws `StackError`. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const root = resolve(options.root);
  const plan = planReplicas({ scale: options.scale, port: options.port });
  checkBuilt(root, plan.map((spec) => spec.service));
  const config = options.config === undefined ? undefined : resolve(options.config);
  if (config !== undefined) checkConfigFile(config);
  // Default documented in StackOptions: a launcher hands its own environment on.
  const baseEnv = definedOnly(options.env ?? process.env);
  await checkPortsFree(plan, baseEnv['HOST'] ?? '0.0.0.0');
  const host = connectHost(baseEnv['HOST']);

  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  const width = Math.max(...plan.map((spec) => spec.name.length));
  const onOutput = options.onOutput ?? (() => undefined);
  let ready = false;
  let stopping: Promise<void> | null = null;
  const slots = new Map<string, Slot>();
  const restartPolicy = options.restartDied === true ? {} : options.restartDied || null;
  const restartTimers = new Set<NodeJS.Timeout>();

  const backoffMs = (slot: Slot): number => {
    const initial = restartPolicy?.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    const max = restartPolicy?.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    slot.quickDeaths = Date.now() - slot.running.startedAt >= BACKOFF_RESET_AFTER_MS ? 0 : slot.quickDeaths + 1;
    return Math.min(max, initial * 2 ** Math.max(0, slot.quickDeaths - 1));
  };

  const launch = (spec: ReplicaSpec, quickDeaths = 0): Slot => {
    const env: Record<string, string> = { ...baseEnv, PORT: String(spec.port), SWITCHYARD_INSTANCE_ID: spec.name };
    if (config !== undefined) env['SWITCHYARD_CONFIG'] = config;
    const prefix = `${spec.name.padEnd(width)} | `;
    const running = spawnReplica(spec, { root, env, onLine: (line) => onOutput(prefix + line, spec.name) });
    const slot: Slot = { spec, running, expected: false, quickDeaths };
    void running.exited.then((exit) => {
      if (!ready || slots.get(spec.name)?.running !== running) return;
      const expected = slot.expected || stopping !== null;
      const restartInMs = !expected && restartPolicy !== null ? backoffMs(slot) : null;
      options.onExit?.({ ...pick(spec), code: exit.code, signal: exit.signal, expected, restartInMs });
      if (restartInMs !== null) relaunchLater(slot, restartInMs);
    });
    return slot;
  };

  const relaunchLater = (died: Slot, delayMs: number): void => {
    const timer = setTimeout(() => {
      restartTimers.delete(timer);
      // Stopping, or restarted by hand meanwhile.
      if (stopping !== null || slots.get(died.spec.name) !== died) return;
      const slot = launch(died.spec, died.quickDeaths);
      slots.set(died.spec.name, slot);
      options.onRestart?.({ ...pick(slot.spec), port: slot.spec.port, pid: slot.running.pid });
    }, delayMs);
    restartTimers.add(timer);
  };

  const killAllNow = (): void => {
    for (const slot of slots.values()) slot.running.signal('SIGKILL');
  };
  // Last resort: replicas run in their own process groups and would outlive a launcher that exits without stop().
  process.on('exit', killAllNow);

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const timer of restartTimers) clearTimeout(timer);
      restartTimers.clear();
      const deadline = Date.now() + stopTimeoutMs;
      for (const service of SERVICE_NAMES) {
        const ofService = [...slots.values()].filter((slot) => slot.spec.service === service);
        await Promise.all(ofService.map((slot) => terminate(slot.running, deadline)));
      }
      process.off('exit', killAllNow);
    })();
    return stopping;
  };

  const find = (service: ServiceName, index: number): Slot => {
    const slot = slots.get(`${service}-${index}`);
    if (slot === undefined) throw new StackError(`the stack has no replica ${service}-${index}`);
    return slot;
  };

  try {
    for (const spec of plan) slots.set(spec.name, launch(spec));
    await waitUntilReady(
      [...slots.values()].map((slot) => slot.running),
      { timeoutMs: readyTimeoutMs, host, signal: options.signal },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  ready = true;

  return {
    ingressUrls: plan.filter((spec) => spec.service === 'ingress').map((spec) => ingressUrl(spec.port, host)),
    get replicas(): ReplicaInfo[] {
      return [...slots.values()].map((slot) => ({ ...pick(slot.spec), port: slot.spec.port, pid: slot.running.pid }));
    },
    stop,
    kill(service, index, signal = 'SIGTERM') {
      const slot = find(service, index);
      slot.expected = true;
      slot.running.signal(signal);
    },
    async restart(service, index) {
      if (stopping !== null) throw new StackError('the stack is stopping');
      const old = find(service, index);
      if (old.running.exit() === null) {
        throw new StackError(`${old.spec.name} is still running (pid ${old.running.pid}): kill it first`);
      }
      const slot = launch(old.spec);
      slots.set(old.spec.name, slot);
      try {
        await waitUntilReady([slot.running], { timeoutMs: readyTimeoutMs, host });
      } catch (error) {
        slot.expected = true;
        await terminate(slot.running, Date.now() + stopTimeoutMs);
        throw error;
      }
    },
  };
}

function pick(spec: ReplicaSpec): { service: ServiceName; index: number; name: string } {
  return { service: spec.service, index: spec.index, name: spec.name };
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
