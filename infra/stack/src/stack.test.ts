import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from './services.js';
import { startStack } from './stack.js';
import type { ReplicaExitEvent, StackOptions } from './stack.js';

/*
 * The process management against stand-in services: a small script at every
 * services/<name>/dist/main.js that serves /readyz on PORT and misbehaves on
 * request (FAKE_* variables list the replicas that should).
 */
const FAKE_SERVICE = String.raw`
const http = require('node:http');
const id = process.env.SWITCHYARD_INSTANCE_ID;
const is = (name) => (process.env[name] || '').split(',').includes(id);
const log = (fields) => console.log(JSON.stringify({ id, ...fields }));
log({ msg: 'started', pid: process.pid, port: process.env.PORT, config: process.env.SWITCHYARD_CONFIG || null, extra: process.env.FAKE_EXTRA || null });
if (is('FAKE_CRASH')) {
  console.error('boom: cannot reach nats');
  process.exit(3);
}
const readyAt = Date.now() + Number(process.env.FAKE_READY_DELAY_MS || 0);
const server = http.createServer((req, res) => {
  const ready = !is('FAKE_NEVER_READY') && Date.now() >= readyAt;
  res.writeHead(ready ? 200 : 503).end(ready ? '{"status":"ready"}' : '{"status":"not_ready","checks":{"nats":"down"}}');
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  if (is('FAKE_IGNORE_TERM')) return log({ msg: 'ignoring SIGTERM' });
  log({ msg: 'bye' });
  process.stdout.write('no newline at the end');
  process.exit(0);
});
`;

let root: string;
let stacksStarted = 0;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'switchyard-stack-'));
  for (const service of SERVICE_NAMES) {
    mkdirSync(join(root, 'services', service, 'dist'), { recursive: true });
    writeFileSync(join(root, 'services', service, 'dist', 'main.js'), FAKE_SERVICE);
  }
  writeFileSync(join(root, 'gateway.yaml'), 'model_list: []\n');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A base port below the ephemeral range, different for every stack of this file. */
function basePort(): number {
  stacksStarted++;
  return 10_000 + ((process.pid * 7 + stacksStarted * 300) % 19_000);
}

function options(extra: Partial<StackOptions> & { fake?: Record<string, string> } = {}): StackOptions & { lines: string[] } {
  const lines: string[] = [];
  const { fake, ...rest } = extra;
  return {
    root,
    port: basePort(),
    env: { PATH: process.env['PATH'], ...fake },
    onOutput: (line) => lines.push(line),
    readyTimeoutMs: 10_000,
    stopTimeoutMs: 5_000,
    lines,
    ...rest,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids the stand-ins printed at start (for stacks that never resolved). */
function startedPids(lines: readonly string[]): number[] {
  return lines
    .map((line) => /"msg":"started","pid":(\d+)/.exec(line)?.[1])
    .filter((pid) => pid !== undefined)
    .map(Number);
}

function exitEvents(): { events: ReplicaExitEvent[]; onExit: (event: ReplicaExitEvent) => void; next: (name: string) => Promise<ReplicaExitEvent> } {
  const events: ReplicaExitEvent[] = [];
  const waiters: Array<(event: ReplicaExitEvent) => void> = [];
  return {
    events,
    onExit: (event) => {
      events.push(event);
      for (const waiter of waiters.splice(0)) waiter(event);
    },
    next: (name) =>
      new Promise((resolve) => {
        const check = (event: ReplicaExitEvent): void => {
          if (event.name === name) resolve(event);
          else waiters.push(check);
        };
        waiters.push(check);
      }),
  };
}

describe('stack process manager', () => {
  it('stack: starts every replica with its port, name and config, then stops them down the request path', async () => {
    const exits = exitEvents();
    const opts = options({ scale: { ingress: 2 }, config: join(root, 'gateway.yaml'), fake: { FAKE_EXTRA: 'x' }, onExit: exits.onExit });
    const base = opts.port ?? 0;
    const stack = await startStack(opts);

    expect(stack.ingressUrls).toEqual([`http://127.0.0.1:${base}/v1`, `http://127.0.0.1:${base + 1}/v1`]);
    expect(stack.replicas.map(({ name, port }) => `${name}:${port}`)).toEqual([
      `ingress-0:${base}`,
      `ingress-1:${base + 1}`,
      `limiter-0:${base + 100}`,
      `upstream-caller-0:${base + 200}`,
      `learner-0:${base + 300}`,
      `keys-0:${base + 400}`,
      `ledger-0:${base + 500}`,
    ]);
    for (const replica of stack.replicas) expect(alive(replica.pid), replica.name).toBe(true);
    const started = opts.lines.find((line) => line.startsWith('limiter-0 '));
    expect(started).toBe(
      `limiter-0         | {"id":"limiter-0","msg":"started","pid":${stack.replicas[2]?.pid},"port":"${base + 100}",` +
        `"config":"${join(root, 'gateway.yaml')}","extra":"x"}`,
    );
    expect((await fetch(`http://127.0.0.1:${base + 1}/readyz`)).status).toBe(200);

    const pids = stack.replicas.map((replica) => replica.pid);
    await stack.stop();
    await stack.stop();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const byes = opts.lines.filter((line) => line.includes('"msg":"bye"')).map((line) => line.split(' ')[0]);
    expect(byes.slice(0, 2).sort()).toEqual(['ingress-0', 'ingress-1']);
    expect(byes.slice(2)).toEqual(['limiter-0', 'upstream-caller-0', 'learner-0', 'keys-0', 'ledger-0']);
    // A last line without its newline still comes out.
    expect(opts.lines).toContain('learner-0         | no newline at the end');
    expect(exits.events.map((event) => [event.name, event.code, event.expected])).toContainEqual(['learner-0', 0, true]);
    expect(exits.events.every((event) => event.expected)).toBe(true);
  });

  it('stack: refuses to start when a service is not built', async () => {
    const partial = mkdtempSync(join(tmpdir(), 'switchyard-stack-unbuilt-'));
    try {
      mkdirSync(join(partial, 'services', 'ingress', 'dist'), { recursive: true });
      writeFileSync(join(partial, 'services', 'ingress', 'dist', 'main.js'), FAKE_SERVICE);
      await expect(startStack(options({ root: partial }))).rejects.toThrow(
        `services/limiter/dist/main.js, services/upstream-caller/dist/main.js, services/learner/dist/main.js, services/keys/dist/main.js, services/ledger/dist/main.js are missing in ${partial}: run pnpm build first`,
      );
      // Only what is asked for has to be built.
      const stack = await startStack(options({ root: partial, scale: { limiter: 0, 'upstream-caller': 0, learner: 0, keys: 0, ledger: 0 } }));
      expect(stack.replicas.map((replica) => replica.name)).toEqual(['ingress-0']);
      await stack.stop();
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  });

  it('stack: a replica that exits during startup fails the start, naming it with its output, and the rest is stopped', async () => {
    const opts = options({ fake: { FAKE_CRASH: 'limiter-0', FAKE_READY_DELAY_MS: '2000' } });
    await expect(startStack(opts)).rejects.toThrow(/^limiter-0 exited during startup \(exit code 3\); last output:\n.*"msg":"started".*\n {2}boom: cannot reach nats$/);
    // The others may be stopped before they print anything; those that did are gone.
    const pids = startedPids(opts.lines);
    expect(pids.length).toBeGreaterThanOrEqual(1);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('stack: replicas not ready by the deadline are named with their last /readyz answer', async () => {
    const opts = options({ fake: { FAKE_NEVER_READY: 'upstream-caller-0,learner-0' }, readyTimeoutMs: 5_000 });
    const base = opts.port ?? 0;
    await expect(startStack(opts)).rejects.toThrow(
      `not ready after 5 s: upstream-caller-0, learner-0\n` +
        `  upstream-caller-0: GET http://127.0.0.1:${base + 200}/readyz -> 503 {"status":"not_ready","checks":{"nats":"down"}}\n` +
        `  learner-0: GET http://127.0.0.1:${base + 300}/readyz -> 503 {"status":"not_ready","checks":{"nats":"down"}}`,
    );
    for (const pid of startedPids(opts.lines)) expect(alive(pid)).toBe(false);
  });

  it('stack: kill() is an expected exit, a death is not, and restart() brings a replica back on its port', async () => {
    const exits = exitEvents();
    const stack = await startStack(options({ onExit: exits.onExit }));
    try {
      const limiter = stack.replicas.find((replica) => replica.name === 'limiter-0');
      const killed = exits.next('limiter-0');
      stack.kill('limiter', 0, 'SIGKILL');
      expect(await killed).toMatchObject({ service: 'limiter', index: 0, code: null, signal: 'SIGKILL', expected: true });

      await stack.restart('limiter', 0);
      const restarted = stack.replicas.find((replica) => replica.name === 'limiter-0');
      expect(restarted?.pid).not.toBe(limiter?.pid);
      expect(restarted?.port).toBe(limiter?.port);
      expect((await fetch(`http://127.0.0.1:${restarted?.port}/readyz`)).status).toBe(200);

      const caller = stack.replicas.find((replica) => replica.name === 'upstream-caller-0');
      const died = exits.next('upstream-caller-0');
      process.kill(caller?.pid ?? 0, 'SIGKILL');
      expect(await died).toMatchObject({ signal: 'SIGKILL', expected: false });

      expect(() => stack.kill('learner', 1)).toThrow('the stack has no replica learner-1');
      await expect(stack.restart('learner', 0)).rejects.toThrow(/learner-0 is still running \(pid \d+\): kill it first/);
    } finally {
      await stack.stop();
    }
  });

  it('stack: with restartDied a replica that dies is started again on its port after a backoff; the others never stop', async () => {
    const exits = exitEvents();
    let onRestart: (replica: { name: string; pid: number }) => void = () => undefined;
    const restarted = new Promise<{ name: string; pid: number }>((resolve) => {
      onRestart = resolve;
    });
    const stack = await startStack(options({ onExit: exits.onExit, restartDied: { initialBackoffMs: 50 }, onRestart: (replica) => onRestart(replica) }));
    try {
      const others = stack.replicas.filter((replica) => replica.name !== 'limiter-0');
      const died = exits.next('limiter-0');
      process.kill(stack.replicas.find((replica) => replica.name === 'limiter-0')?.pid ?? 0, 'SIGKILL');
      expect(await died).toMatchObject({ signal: 'SIGKILL', expected: false, restartInMs: 50 });
      const again = await restarted;
      const limiter = stack.replicas.find((replica) => replica.name === 'limiter-0');
      expect(again).toMatchObject({ name: 'limiter-0', pid: limiter?.pid });
      // Up again on its port (polled: the launcher does not wait for a restarted replica).
      const deadline = Date.now() + 5_000;
      while (!(await fetch(`http://127.0.0.1:${limiter?.port}/readyz`).then((r) => r.ok, () => false)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect((await fetch(`http://127.0.0.1:${limiter?.port}/readyz`)).status).toBe(200);
      for (const replica of others) expect(alive(replica.pid), replica.name).toBe(true);
      expect(exits.events.map((event) => event.name)).toEqual(['limiter-0']);
    } finally {
      await stack.stop();
    }
  });

  it('stack: stop() kills a replica that ignores SIGTERM once the stop timeout has passed', async () => {
    const exits = exitEvents();
    const stack = await startStack(options({ fake: { FAKE_IGNORE_TERM: 'learner-0' }, stopTimeoutMs: 800, onExit: exits.onExit }));
    const started = Date.now();
    await stack.stop();
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(exits.events.find((event) => event.name === 'learner-0')).toMatchObject({ signal: 'SIGKILL', expected: true });
    expect(exits.events.find((event) => event.name === 'ingress-0')).toMatchObject({ code: 0, signal: null });
  });

  it('stack: a port in use is refused before anything starts', async () => {
    const opts = options();
    const base = opts.port ?? 0;
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(base + 100, '127.0.0.1', resolve));
    try {
      // Other tests running alongside may hold another of the stack's ports at that moment: only ours must be named.
      const error = await startStack(opts).then(
        () => null,
        (reason: unknown) => reason as Error,
      );
      expect(error?.message).toMatch(/^cannot use ports? /);
      expect(error?.message).toContain(`${base + 100} (limiter-0: in use)`);
      expect(error?.message).toMatch(/: is another stack running\? Stop it or choose another base port with --port$/);
      expect(opts.lines).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it('stack: a missing config file is refused', async () => {
    await expect(startStack(options({ config: join(root, 'nope.yaml') }))).rejects.toThrow(`config file ${join(root, 'nope.yaml')} does not exist`);
  });

  it('stack: aborting during startup stops what was started', async () => {
    const controller = new AbortController();
    const opts = options({ fake: { FAKE_READY_DELAY_MS: '10000' }, signal: controller.signal });
    setTimeout(() => controller.abort(), 500);
    await expect(startStack(opts)).rejects.toThrow('startup cancelled');
    const pids = startedPids(opts.lines);
    expect(pids).toHaveLength(6);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});

