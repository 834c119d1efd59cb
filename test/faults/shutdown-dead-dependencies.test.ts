import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { probeReady, SERVICE_NAMES, type ServiceName } from '@switchyard/stack';
import {
  createTestDatabase,
  freePort,
  OwnNatsServer,
  OwnRedisServer,
  startMockProvider,
  startTcpProxy,
  uniquePrefix,
  viaProxy,
  type MockProvider,
  type TcpProxy,
} from '../harness/index.js';
import { outageConfig } from './support/outage-config.js';
import { SteadyLoad } from './support/steady-load.js';

/**
 * Issue 12, process hygiene: every service exits within SHUTDOWN_GRACE_MS of
 * SIGTERM whatever the state of its dependencies. Each service runs as a
 * process (from dist) against a NATS, a Redis and a Postgres proxy of the
 * test's own; they are killed (cut), then SIGTERM. The test awaits each
 * process's exit event, bounded by the grace plus a margin, and says how it
 * exited: 0 when the drain finished, 1 when the grace ran out.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GRACE_MS = 3_000;
/** Start-up of node plus the exit itself, beyond the grace. */
const MARGIN_MS = 4_000;

interface Running {
  service: ServiceName;
  child: ChildProcess;
  port: number;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('faults: SIGTERM with dead dependencies', () => {
  let mock: MockProvider;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let configDir: string;
  let proxy: TcpProxy;
  let nats: OwnNatsServer;
  let redis: OwnRedisServer;
  let running: Running[] = [];

  beforeAll(async () => {
    const servers = inject('servers');
    mock = await startMockProvider();
    database = await createTestDatabase(servers.postgresUrl);
    configDir = await mkdtemp(join(tmpdir(), 'switchyard-shutdown-'));
    // An adaptive router: the ingress holds a Redis client too.
    await writeFile(join(configDir, 'gateway.yaml'), outageConfig(mock.url, { timeoutSeconds: 2 }));
    const target = new URL(servers.postgresUrl);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  });

  afterEach(async () => {
    for (const replica of running) replica.child.kill('SIGKILL');
    await Promise.all(running.map((replica) => replica.exited));
    running = [];
    await Promise.all([nats?.stop(), redis?.stop()]);
    await proxy.restore();
  });

  afterAll(async () => {
    await proxy?.close();
    await mock?.close();
    await database?.drop();
    await rm(configDir, { recursive: true, force: true });
  });

  async function startAll(): Promise<void> {
    [nats, redis] = await Promise.all([OwnNatsServer.start(), OwnRedisServer.start()]);
    const prefix = uniquePrefix('sd');
    running = await Promise.all(
      SERVICE_NAMES.map(async (service) => {
        const port = await freePort();
        const child = spawn(process.execPath, [join(ROOT, 'services', service, 'dist', 'main.js')], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: {
            PATH: process.env.PATH,
            NATS_URL: nats.url,
            REDIS_URL: redis.url,
            DATABASE_URL: viaProxy(database.url, proxy),
            SWITCHYARD_BUS_PREFIX: prefix,
            SWITCHYARD_CONFIG: join(configDir, 'gateway.yaml'),
            SWITCHYARD_INSTANCE_ID: `${service}-sd`,
            HOST: '127.0.0.1',
            PORT: String(port),
            LOG_LEVEL: 'info',
            SHUTDOWN_GRACE_MS: String(GRACE_MS),
          },
        });
        const output: string[] = [];
        child.stdout?.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
        child.stderr?.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
        const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
        return { service, child, port, output, exited };
      }),
    );
    // Ready: every dependency reached once.
    await Promise.all(
      running.map(async (replica) => {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const notReady = await probeReady(replica.port, { timeoutMs: 1_000 });
          if (notReady === null) return;
          if (Date.now() > deadline) throw new Error(`${replica.service} not ready: ${notReady}\n${replica.output.join('')}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }),
    );
  }

  /** Load through the ingress while the dependencies die: work in flight, buffers filling. */
  function loadUp(): SteadyLoad {
    const ingress = running.find((replica) => replica.service === 'ingress')!;
    const load = new SteadyLoad({ urls: [`http://127.0.0.1:${ingress.port}`], perSecond: 30, timeoutMs: 10_000 });
    load.start();
    return load;
  }

  /** Until every replica's /readyz says it noticed (503 or no answer). */
  async function allNoticed(): Promise<void> {
    await Promise.all(
      running.map(async (replica) => {
        const deadline = Date.now() + 20_000;
        while ((await probeReady(replica.port, { timeoutMs: 1_000 })) === null) {
          if (Date.now() > deadline) throw new Error(`${replica.service} still ready after its dependencies died`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }),
    );
  }

  /** SIGTERM to each, then each one's exit, or `timeout` once the grace and the margin have passed. */
  async function terminateAll(): Promise<Record<string, string>> {
    const results = await Promise.all(
      running.map(async (replica) => {
        replica.child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), GRACE_MS + MARGIN_MS);
        });
        const exit = await Promise.race([replica.exited, bound]);
        clearTimeout(timer);
        return [replica.service, exit === 'timeout' ? 'timeout' : exit.signal !== null ? `signal ${exit.signal}` : `exit ${exit.code}`] as const;
      }),
    );
    return Object.fromEntries(results);
  }

  it('faults: NATS killed, then SIGTERM: every service exits within its grace', async () => {
    await startAll();
    const load = loadUp();
    await load.until(20);
    await nats.kill();
    await allNoticed();
    // Observable while NATS is away: every /metrics answers at once (a scrape times out after seconds).
    for (const replica of running) {
      const metrics = await fetch(`http://127.0.0.1:${replica.port}/metrics`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status, (error: unknown) => String(error));
      expect({ service: replica.service, metrics }).toEqual({ service: replica.service, metrics: 200 });
    }
    const exits = await terminateAll();
    await load.stop();
    process.stdout.write(`SIGTERM with NATS dead: ${JSON.stringify(exits)}\n`);
    for (const service of SERVICE_NAMES) expect(exits[service], running.find((r) => r.service === service)?.output.join('').slice(-2_000)).toMatch(/^exit [01]$/);
  }, 60_000);

  it('faults: NATS, Redis and Postgres gone, then SIGTERM: every service exits within its grace', async () => {
    await startAll();
    const load = loadUp();
    await load.until(20);
    await Promise.all([nats.kill(), redis.kill(), proxy.cut()]);
    await allNoticed();
    const exits = await terminateAll();
    await load.stop();
    process.stdout.write(`SIGTERM with NATS, Redis and Postgres dead: ${JSON.stringify(exits)}\n`);
    for (const service of SERVICE_NAMES) expect(exits[service], running.find((r) => r.service === service)?.output.join('').slice(-2_000)).toMatch(/^exit [01]$/);
  }, 60_000);
});
