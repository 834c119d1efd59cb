import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StackError } from './errors.js';
import { createLineSplitter, Tail } from './lines.js';
import type { ReplicaSpec } from './plan.js';
import { entryPath } from './services.js';

export interface ReplicaExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningReplica {
  readonly spec: ReplicaSpec;
  readonly pid: number;
  /** When it was spawned (epoch ms). */
  readonly startedAt: number;
  /** Settles once the process has exited and all its output has been read. */
  readonly exited: Promise<ReplicaExit>;
  /** Null while it runs. */
  exit(): ReplicaExit | null;
  /** Its last lines of output (stdout and stderr). */
  tail(): string[];
  signal(signal: NodeJS.Signals): void;
}

const TAIL_LINES = 20;

/**
 * Starts `process.execPath services/<name>/dist/main.js` with `env`, in its own
 * process group: a Ctrl-C in the terminal reaches the launcher only, which then
 * stops the replicas in order (a service reads a second signal as "exit now").
 * An IPC channel ties the replica to the launcher: when the launcher dies,
 * even by SIGKILL (no 'exit' hook runs then), the kernel closes the channel,
 * the replica sees 'disconnect' and shuts down as on SIGTERM, so no orphan
 * keeps its port.
 */
export function spawnReplica(
  spec: ReplicaSpec,
  options: { root: string; env: Record<string, string>; onLine: (line: string) => void },
): RunningReplica {
  const child = spawn(process.execPath, [join(options.root, entryPath(spec.service))], {
    cwd: options.root,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  // The channel is only a lifeline: it must not keep the launcher's event loop alive.
  child.channel?.unref();
  // Spawn failures (reported below) and signals that could not be delivered.
  child.on('error', () => undefined);
  if (child.pid === undefined) {
    throw new StackError(`${spec.name}: could not start ${process.execPath}`);
  }
  const pid = child.pid;
  const { stdout, stderr } = child;
  if (stdout === null || stderr === null) throw new StackError(`${spec.name}: no output pipes`);
  const tail = new Tail(TAIL_LINES);
  const onLine = (line: string): void => {
    tail.add(line);
    options.onLine(line);
  };
  pipeLines(stdout, onLine);
  pipeLines(stderr, onLine);

  let exit: ReplicaExit | null = null;
  const exited = new Promise<ReplicaExit>((resolve) => {
    // 'close' comes after the output streams ended, so the tail is complete.
    child.once('close', (code, signal) => {
      exit ??= { code, signal };
      resolve(exit);
    });
  });

  return {
    spec,
    pid,
    startedAt: Date.now(),
    exited,
    exit: () => exit,
    tail: () => tail.lines(),
    signal(signal) {
      if (exit === null && child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

function pipeLines(stream: Readable, onLine: (line: string) => void): void {
  stream.setEncoding('utf8');
  const splitter = createLineSplitter(onLine);
  stream.on('data', (chunk: string) => splitter.push(chunk));
  stream.on('end', () => splitter.end());
}

/** SIGTERM, then SIGKILL when it has not exited by `deadline` (epoch ms). */
export async function terminate(replica: RunningReplica, deadline: number): Promise<ReplicaExit> {
  replica.signal('SIGTERM');
  const left = Math.max(0, deadline - Date.now());
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), left);
  });
  const first = await Promise.race([replica.exited, timedOut]);
  clearTimeout(timer);
  if (first !== 'timeout') return first;
  replica.signal('SIGKILL');
  return replica.exited;
}

export function describeExit(exit: ReplicaExit): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
}
