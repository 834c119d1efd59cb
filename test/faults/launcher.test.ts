import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { probeReady } from '@switchyard/stack';
import { createTestDatabase, uniquePrefix } from '../harness/index.js';

/**
 * Issue 12, the `pnpm stack up` launcher as a user runs it (the CLI, real
 * services): a replica that dies (kill -9) is started again after a backoff
 * while the others never stop, and when the launcher itself is SIGKILLed
 * (no chance to stop anything) every replica exits by itself, leaving no
 * orphan to hold its port.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Replica {
  pid: number;
  service: string;
}

/** The launcher's child processes, from ps: pid and which service's main.js it runs. */
function replicasOf(launcher: number): Replica[] {
  let out: string;
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(launcher)], { encoding: 'utf8' }).trim();
  } catch {
    return []; // ps exits 1 when there is no such process
  }
  return out
    .split('\n')
    .filter((line) => line.includes('/dist/main.js'))
    .map((line) => {
      const [pid, ...args] = line.trim().split(/\s+/);
      const service = /services\/([a-z-]+)\/dist\/main\.js/.exec(args.join(' '))?.[1] ?? 'unknown';
      return { pid: Number(pid), service };
    });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until none of `pids` runs (bounded); returns those still running at the deadline. */
async function untilGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('stack launcher: restarts, and no orphans', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let launcher: ChildProcess | undefined;
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  let base = 0;
  let leftBehind: number[] = [];

  /** The next (or an already printed) launcher line matching `pattern`, bounded. */
  function line(pattern: RegExp, timeoutMs = 45_000): Promise<string> {
    const seen = lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line ${pattern} after ${timeoutMs} ms; last lines:\n${lines.slice(-15).join('\n')}`)), timeoutMs);
      waiters.push({
        pattern,
        resolve: (found) => {
          clearTimeout(timer);
          resolve(found);
        },
      });
    });
  }

  beforeAll(async () => {
    const servers = inject('servers');
    database = await createTestDatabase(servers.postgresUrl);
    // A base port whose ranges another process holds is refused before anything starts: try another.
    for (let attempt = 1; ; attempt++) {
      base = randomInt(20_000, 40_000);
      lines.length = 0;
      launcher = spawn(process.execPath, [join(ROOT, 'infra/stack/dist/cli.js'), 'up', '--port', String(base)], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          NATS_URL: servers.natsUrl,
          REDIS_URL: servers.redisUrl,
          DATABASE_URL: database.url,
          SWITCHYARD_BUS_PREFIX: uniquePrefix('launch'),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
          SHUTDOWN_GRACE_MS: '5000',
        },
      });
      let partial = '';
      const onData = (chunk: string): void => {
        partial += chunk;
        const complete = partial.split('\n');
        partial = complete.pop() ?? '';
        for (const l of complete) {
          lines.push(l);
          for (const waiter of waiters.filter((w) => w.pattern.test(l))) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(l);
          }
        }
      };
      launcher.stdout?.setEncoding('utf8').on('data', onData);
      launcher.stderr?.setEncoding('utf8').on('data', onData);
      const outcome = await Promise.race([line(/stack ready/).then(() => 'ready'), once(launcher, 'exit').then(() => 'exited')]);
      if (outcome === 'ready') break;
      if (attempt >= 3 || !lines.some((l) => l.includes('cannot use port'))) throw new Error(`launcher did not start:\n${lines.join('\n')}`);
    }
  }, 90_000);

  afterAll(async () => {
    // Whatever a failed run left: the test owns these processes.
    for (const pid of leftBehind) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (launcher && launcher.exitCode === null && launcher.signalCode === null) launcher.kill('SIGKILL');
    await database?.drop();
  });

  it('stack: a replica killed with -9 is started again after a backoff; the other replicas never stop', async () => {
    const launcherPid = launcher!.pid!;
    const before = replicasOf(launcherPid);
    expect(before.map((r) => r.service).sort()).toEqual(['ingress', 'keys', 'learner', 'ledger', 'limiter', 'upstream-caller']);
    const limiter = before.find((r) => r.service === 'limiter')!;
    process.kill(limiter.pid, 'SIGKILL');

    await line(/limiter-0 exited unexpectedly \(killed by SIGKILL\): restarting in \d+ ms/);
    const restarted = await line(/limiter-0 restarted \(pid \d+\)/);
    const newPid = Number(/pid (\d+)/.exec(restarted)![1]);
    // Back on its port and ready.
    const deadline = Date.now() + 30_000;
    let answer: string | null = 'not asked';
    while (answer !== null && Date.now() < deadline) {
      answer = await probeReady(base + 100, { timeoutMs: 1_000 });
      if (answer !== null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(answer).toBeNull();

    const after = replicasOf(launcherPid);
    expect(after.find((r) => r.service === 'limiter')?.pid).toBe(newPid);
    // The others are the very processes that started, and the launcher did not stop the stack.
    for (const replica of before.filter((r) => r.service !== 'limiter')) expect(after.find((r) => r.service === replica.service)?.pid).toBe(replica.pid);
    expect(lines.filter((l) => l.startsWith('stack ') && /stopping|stopped/.test(l))).toEqual([]);
    expect(alive(launcherPid)).toBe(true);
  }, 60_000);

  it('stack: the launcher SIGKILLed: every replica exits by itself, no orphan holds a port', async () => {
    const replicas = replicasOf(launcher!.pid!).map((r) => r.pid);
    expect(replicas).toHaveLength(6);
    leftBehind = replicas;
    const exited = once(launcher!, 'exit');
    launcher!.kill('SIGKILL');
    await exited;
    const orphans = await untilGone(replicas, 20_000);
    process.stdout.write(`launcher SIGKILLed: ${orphans.length} of ${replicas.length} replicas still running 20 s later\n`);
    expect(orphans).toEqual([]);
  }, 60_000);
});
