import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './errors.js';
import { describeExit } from './replica.js';
import type { RunningReplica } from './replica.js';

const POLL_INTERVAL_MS = 200;
const REQUEST_TIMEOUT_MS = 2_000;
const MAX_BODY_CHARS = 300;
const TAIL_IN_MESSAGE = 10;

export function readyzUrl(port: number, host = '127.0.0.1'): string {
  return `http://${host}:${port}/readyz`;
}

/** One GET /readyz: null when it answered 200, else what was seen (status and body, or the error). */
export async function probeReady(port: number, options: { host?: string; timeoutMs?: number } = {}): Promise<string | null> {
  const { host = '127.0.0.1', timeoutMs = REQUEST_TIMEOUT_MS } = options;
  try {
    const response = await fetch(readyzUrl(port, host), { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.text()).slice(0, MAX_BODY_CHARS);
    return response.status === 200 ? null : `${response.status} ${body}`.trim();
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    return `no answer (${cause instanceof Error ? cause.message : String(cause)})`;
  }
}

/**
 * Resolves when every replica's /readyz has answered 200. Throws `StackError`
 * as soon as one of them exits (naming it, with its last output), when
 * `timeoutMs` passes (naming every replica not ready and its last answer), or
 * when `signal` aborts.
 */
export async function waitUntilReady(
  replicas: readonly RunningReplica[],
  options: { timeoutMs: number; host?: string; signal?: AbortSignal | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const host = options.host ?? '127.0.0.1';
  const done = new AbortController();
  const stop = options.signal === undefined ? done.signal : AbortSignal.any([done.signal, options.signal]);
  const lastSeen = new Map<string, string>();
  const pending = new Set(replicas.map((replica) => replica.spec.name));

  const poll = async (replica: RunningReplica): Promise<void> => {
    while (!stop.aborted && Date.now() < deadline) {
      const timeoutMs = Math.min(REQUEST_TIMEOUT_MS, Math.max(1, deadline - Date.now()));
      const seen = await probeReady(replica.spec.port, { host, timeoutMs });
      if (seen === null) {
        pending.delete(replica.spec.name);
        return;
      }
      lastSeen.set(replica.spec.name, seen);
      await sleep(POLL_INTERVAL_MS, undefined, { signal: stop }).catch(() => undefined);
    }
  };

  const died = replicas.map((replica) =>
    replica.exited.then((exit) => {
      if (done.signal.aborted) return;
      const tail = replica.tail().filter((line) => line.trim() !== '').slice(-TAIL_IN_MESSAGE);
      const output = tail.length === 0 ? ' (no output)' : `; last output:\n${tail.map((line) => `  ${line}`).join('\n')}`;
      throw new StackError(`${replica.spec.name} exited during startup (${describeExit(exit)})${output}`);
    }),
  );
  const aborted = new Promise<never>((_, reject) => {
    if (options.signal === undefined) return;
    const onAbort = (): void => reject(new StackError('startup cancelled'));
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);

  try {
    await Promise.race([Promise.all(replicas.map(poll)), ...died, aborted]);
  } finally {
    done.abort();
  }
  if (options.signal?.aborted === true) throw new StackError('startup cancelled');
  if (pending.size > 0) {
    const names = replicas.filter((replica) => pending.has(replica.spec.name));
    const detail = names.map(
      (replica) => `  ${replica.spec.name}: GET ${readyzUrl(replica.spec.port, host)} -> ${lastSeen.get(replica.spec.name) ?? 'not polled'}`,
    );
    const seconds = Math.round(options.timeoutMs / 100) / 10;
    throw new StackError(`not ready after ${seconds} s: ${names.map((replica) => replica.spec.name).join(', ')}\n${detail.join('\n')}`);
  }
}
