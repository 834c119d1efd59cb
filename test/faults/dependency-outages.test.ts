import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createTestDatabase,
  OwnNatsServer,
  OwnRedisServer,
  startMockProvider,
  startTcpProxy,
  viaProxy,
  type MockProvider,
  type TcpProxy,
} from '../harness/index.js';
import { startFaultStack, type FaultStack } from './support/fault-stack.js';
import { chatBody, untilServed } from './support/load.js';
import { outageConfig } from './support/outage-config.js';
import { faultSeed, seededRandom, shuffled } from './support/seeded.js';
import { SteadyLoad } from './support/steady-load.js';

/**
 * Issue 12: no dependency outage crashes a service. Under steady mixed load
 * (30 requests/s: chat, streams, adaptive-router turns, hang-ups, errors),
 * Postgres (a proxy cut), Redis and NATS (their own servers, SIGKILLed) go
 * away in turn, several times each, at random moments and for random spans
 * drawn from a printed seed (SWITCHYARD_FAULT_SEED=<seed> replays a run).
 * Whatever each client was doing at that moment (idle, mid-query,
 * mid-transaction, mid-publish), every service process is still the one
 * that started, and all of them serve again.
 */

const TIMEOUT_S = 2;
const CLIENT_TIMEOUT_MS = TIMEOUT_S * 1000 + 5_000 + 4_000;
const ROUNDS_PER_DEPENDENCY = 3;
type Dependency = 'postgres' | 'redis' | 'nats';

describe('faults: Postgres, Redis and NATS killed in turn under load, at random moments', () => {
  let mock: MockProvider;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let nats: OwnNatsServer;
  let redis: OwnRedisServer;
  let stack: FaultStack;
  const seed = faultSeed();

  beforeAll(async () => {
    const servers = inject('servers');
    mock = await startMockProvider({ maxRecorded: 2_000 });
    mock.behave('*', { latencyMs: 30, streamChunks: 4, chunkDelayMs: 10 });
    mock.behave('broken-model', { status: 500 });
    database = await createTestDatabase(servers.postgresUrl);
    const target = new URL(servers.postgresUrl);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    [nats, redis] = await Promise.all([OwnNatsServer.start(), OwnRedisServer.start()]);
    stack = await startFaultStack({
      natsUrl: nats.url,
      redisUrl: redis.url,
      databaseUrl: viaProxy(database.url, proxy),
      configYaml: outageConfig(mock.url, { timeoutSeconds: TIMEOUT_S }),
      scale: { ingress: 1, limiter: 1, 'upstream-caller': 1, learner: 1 },
      // Small, frequent learner transactions: a cut is likely to find one open.
      env: { LEARNER_BATCH_MAX_DELAY_MS: '20', LEARNER_BATCH_MAX_ITEMS: '20' },
    });
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
    await Promise.all([nats?.stop(), redis?.stop()]);
    await mock?.close();
    await database?.drop();
  });

  it('faults: every service process survives every outage and serves again', async () => {
    process.stdout.write(`dependency outages: seed ${seed} (replay with SWITCHYARD_FAULT_SEED=${seed})\n`);
    const random = seededRandom(seed);
    const plan = shuffled((['postgres', 'redis', 'nats'] as Dependency[]).flatMap((d) => Array<Dependency>(ROUNDS_PER_DEPENDENCY).fill(d)), random);
    const pids = new Map(stack.stack.replicas.map((replica) => [replica.name, replica.pid]));
    const url = stack.stack.ingressUrls[0]!.replace(/\/v1$/, '');
    const load = new SteadyLoad({ urls: [url], perSecond: 30, timeoutMs: CLIENT_TIMEOUT_MS });
    load.start();
    const schedule: string[] = [];
    try {
      for (const dependency of plan) {
        // A random moment of the load: whatever each client is doing then.
        const before = Math.round(200 + random() * 1_300);
        const down = Math.round(300 + random() * 2_200);
        schedule.push(`${dependency} after ${before} ms, down ${down} ms`);
        await delay(before);
        await outage(dependency, 'start');
        await delay(down);
        await outage(dependency, 'end');
        // A replica that died of it fails the test below with its last lines, not with a readiness timeout.
        if (stack.exits.length > 0) break;
        await stack.allReady(30_000);
      }
    } finally {
      const summary = await load.stop();
      process.stdout.write(`dependency outages (seed ${seed}): ${schedule.join('; ')}\nload: ${JSON.stringify(summary)}\n`);
    }

    const crashes = stack.exits.map((exit) => `${exit.name}: ${exit.code ?? exit.signal}\n${lastLines(stack, exit.name)}`);
    expect(crashes, `seed ${seed}`).toEqual([]);
    for (const replica of stack.stack.replicas) expect({ replica: replica.name, pid: replica.pid, alive: alive(replica.pid) }).toEqual({ replica: replica.name, pid: pids.get(replica.name), alive: true });
    // Serves again: a chat request and a router turn (Redis sessions) through the whole path.
    const policy = { statuses: [] };
    await untilServed((marker) => ({ url, body: chatBody('chat', marker) }), policy, CLIENT_TIMEOUT_MS, 'outages', 30_000);
    await untilServed((marker) => ({ url, body: chatBody('smart', marker) }), policy, CLIENT_TIMEOUT_MS, 'outages', 30_000);
    expect(load.ok('chat')).toBeGreaterThan(0);
  }, 120_000);

  async function outage(dependency: Dependency, phase: 'start' | 'end'): Promise<void> {
    if (dependency === 'postgres') return phase === 'start' ? proxy.cut() : proxy.restore();
    const server = dependency === 'nats' ? nats : redis;
    return phase === 'start' ? server.kill() : server.restart();
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function lastLines(stack: FaultStack, replica: string): string {
  return stack.output.filter((line) => line.startsWith(replica) && !line.includes('"level":30')).slice(-8).join('\n');
}
