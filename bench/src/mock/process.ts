import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep, wallClockMs } from '../clock.js';
import type { MockBehaviour, MockStats } from './server.js';

export interface MockHandle {
  /** OpenAI base URL, ending in `/v1`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  behave(behaviour: Partial<MockBehaviour>): Promise<void>;
  stats(): Promise<MockStats>;
  /** Zeroes the call counter. */
  reset(): Promise<void>;
  /** Waits until no call is in flight (a gateway may still be finishing one a client gave up on). */
  settle(timeoutMs?: number): Promise<MockStats>;
  /** Mock clock minus this process's clock, in ms, measured over the round trip with the least delay. */
  clockOffsetMs(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the mock provider in a process of its own, so that it never competes with the load generator's event loop. */
export async function startMockProcess(): Promise<MockHandle> {
  const child = fork(fileURLToPath(new URL('./main.js', import.meta.url)), ['0'], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port?: number }) => (message.port ? resolve(message.port) : reject(new Error('mock provider: bad hello'))));
    child.once('exit', (code) => reject(new Error(`mock provider exited with code ${code}`)));
  });
  const origin = `http://127.0.0.1:${port}`;
  const call = async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${origin}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`mock provider: ${path} answered ${response.status}`);
    return (await response.json()) as T;
  };
  const stats = (): Promise<MockStats> => call<MockStats>('/__bench/stats');
  return {
    url: `${origin}/v1`,
    port,
    pid: child.pid!,
    async behave(behaviour) {
      await call('/__bench/behaviour', behaviour);
    },
    stats,
    async reset() {
      await call('/__bench/reset', {});
    },
    async settle(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = await stats();
        if (now.inFlight === 0 || Date.now() > deadline) return now;
        await sleep(20);
      }
    },
    async clockOffsetMs() {
      let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
      for (let i = 0; i < 40; i++) {
        const before = wallClockMs();
        const { now } = await call<{ now: number }>('/__bench/clock');
        const after = wallClockMs();
        if (after - before < best.rtt) best = { rtt: after - before, offset: now - (before + after) / 2 };
      }
      return best.offset;
    },
    stop() {
      return new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}
