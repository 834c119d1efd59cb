import { writeFile, mkdir } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
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
import { outageConfig } from './support/outage-config.js';
import { SteadyLoad } from './support/steady-load.js';

/**
 * Soak (issue 12): `pnpm soak [--minutes 20] [--outages nats,redis,postgres]`,
 * not part of `pnpm test`. Steady mixed load (30 requests/s: chat, streams,
 * router turns, client hang-ups, bad requests, provider errors) for the
 * whole run, with one outage phase per dependency named (each 12% of the
 * run: about 2.5 minutes of a 20-minute soak) followed by a recovery phase.
 * Every 10 s it reads each service's RSS and V8 heap from /metrics; at the
 * end it prints (and writes to test/faults/results/soak.md) RSS and heap per
 * service at start, middle, during and after each outage, and end, with
 * what the services refused or dropped instead of holding it.
 *
 * It fails when a service died, or when a service's heap at the end is more
 * than 1.5x its start plus 16 MB (memory that does not come back).
 */

const MINUTES = Number(process.env.SWITCHYARD_SOAK_MINUTES ?? '20');
const OUTAGES = (process.env.SWITCHYARD_SOAK_OUTAGES ?? 'nats,redis,postgres').split(',').filter(Boolean) as Dependency[];
const PER_SECOND = Number(process.env.SWITCHYARD_SOAK_RPS ?? '30');
const SAMPLE_EVERY_MS = 10_000;
type Dependency = 'postgres' | 'redis' | 'nats';
const SERVICES = ['ingress-0', 'limiter-0', 'upstream-caller-0', 'learner-0'] as const;

interface Sample {
  at: number;
  phase: string;
  rssMb: Record<string, number>;
  heapMb: Record<string, number>;
}

/** Counters that say what was refused or dropped instead of held. */
const DROP_METRICS = ['switchyard_nats_publishes_refused_total', 'switchyard_call_events_dropped_total', 'switchyard_call_event_publish_failures_total'];

describe('soak: steady mixed load with dependency outages', () => {
  let mock: MockProvider;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let nats: OwnNatsServer;
  let redis: OwnRedisServer;
  let stack: FaultStack;

  beforeAll(async () => {
    const servers = inject('servers');
    mock = await startMockProvider({ maxRecorded: 100 });
    mock.behave('*', { latencyMs: 30, streamChunks: 6, chunkDelayMs: 20 });
    mock.behave('broken-model', { status: 500 });
    database = await createTestDatabase(servers.postgresUrl);
    const target = new URL(servers.postgresUrl);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    [nats, redis] = await Promise.all([OwnNatsServer.start(), OwnRedisServer.start()]);
    stack = await startFaultStack({
      natsUrl: nats.url,
      redisUrl: redis.url,
      databaseUrl: viaProxy(database.url, proxy),
      configYaml: outageConfig(mock.url, { timeoutSeconds: 2 }),
      scale: { ingress: 1, limiter: 1, 'upstream-caller': 1, learner: 1 },
      env: { LOG_LEVEL: 'warn' },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
    await Promise.all([nats?.stop(), redis?.stop()]);
    await mock?.close();
    await database?.drop();
  });

  it('soak: memory stays flat through steady load and outages; nothing dies', async () => {
    const totalMs = MINUTES * 60_000;
    const outageMs = Math.round(totalMs * 0.12);
    const recoveryMs = Math.round(totalMs * 0.05);
    const url = stack.stack.ingressUrls[0]!.replace(/\/v1$/, '');
    const ports = new Map(stack.stack.replicas.map((replica) => [replica.name, replica.port]));
    const samples: Sample[] = [];
    let phase = 'warm-up';
    const sample = async (): Promise<Sample> => {
      const rssMb: Record<string, number> = {};
      const heapMb: Record<string, number> = {};
      for (const name of SERVICES) {
        // A scrape that fails is a gap in the table (NaN), not the end of the run.
        const metrics = await scrape(ports.get(name)!).catch(() => new Map<string, number>());
        rssMb[name] = mb(metrics.get('process_resident_memory_bytes'));
        heapMb[name] = mb(metrics.get('nodejs_heap_size_used_bytes'));
      }
      const taken = { at: Date.now(), phase, rssMb, heapMb };
      samples.push(taken);
      process.stdout.write(`soak ${((taken.at - startedAt) / 60_000).toFixed(1)} min ${phase}: rss ${JSON.stringify(rssMb)} heap ${JSON.stringify(heapMb)}\n`);
      return taken;
    };
    const startedAt = Date.now();
    const load = new SteadyLoad({ urls: [url], perSecond: PER_SECOND, timeoutMs: 15_000 });
    load.start();
    const sampler = setInterval(() => void sample().catch(() => undefined), SAMPLE_EVERY_MS);
    const marks: Record<string, Sample> = {};
    try {
      await delay(Math.round(totalMs * 0.05));
      phase = 'steady';
      marks['start'] = await sample();
      await delay(Math.round(totalMs * 0.3));
      marks['middle'] = await sample();
      for (const dependency of OUTAGES) {
        phase = `${dependency} down`;
        await outage(dependency, 'start');
        await delay(outageMs);
        marks[`${dependency} down`] = await sample();
        await outage(dependency, 'end');
        phase = `after ${dependency}`;
        await stack.allReady(60_000);
        await delay(recoveryMs);
        marks[`after ${dependency}`] = await sample();
      }
      phase = 'steady';
      const left = startedAt + totalMs - Date.now();
      if (left > 0) await delay(left);
      marks['end'] = await sample();
    } finally {
      clearInterval(sampler);
    }
    const summary = await load.stop();
    const dropped = await dropCounters(ports);
    const report = renderReport({ minutes: MINUTES, perSecond: PER_SECOND, outageMs, marks, samples, summary, dropped, exits: stack.exits.length });
    process.stdout.write(`\n${report}\n`);
    const results = new URL('./results/', import.meta.url);
    await mkdir(results, { recursive: true });
    await writeFile(fileURLToPath(new URL('soak.md', results)), `${report}\n`);
    await writeFile(fileURLToPath(new URL('soak.json', results)), `${JSON.stringify({ marks, samples, summary, dropped }, null, 2)}\n`);

    expect(stack.exits).toEqual([]);
    for (const name of SERVICES) {
      const start = marks['start']!.heapMb[name]!;
      expect(marks['end']!.heapMb[name], `${name} heap end vs start`).toBeLessThanOrEqual(start * 1.5 + 16);
    }
  }, (MINUTES + 5) * 60_000);

  async function outage(dependency: Dependency, phase: 'start' | 'end'): Promise<void> {
    if (dependency === 'postgres') return phase === 'start' ? proxy.cut() : proxy.restore();
    const server = dependency === 'nats' ? nats : redis;
    return phase === 'start' ? server.kill() : server.restart();
  }
});

async function scrape(port: number): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  const text = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.text());
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    // Summed over labels: a counter by reason is reported as its total.
    values.set(match[1]!, (values.get(match[1]!) ?? 0) + Number(match[3]));
  }
  return values;
}

async function dropCounters(ports: Map<string, number>): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [name, port] of ports) {
    const metrics = await scrape(port).catch(() => new Map<string, number>());
    out[name] = Object.fromEntries(DROP_METRICS.filter((metric) => metrics.has(metric)).map((metric) => [metric, metrics.get(metric)!]));
  }
  return out;
}

function mb(bytes: number | undefined): number {
  return bytes === undefined ? Number.NaN : Math.round(bytes / 1024 / 102.4) / 10;
}

function renderReport(run: {
  minutes: number;
  perSecond: number;
  outageMs: number;
  marks: Record<string, Sample>;
  samples: Sample[];
  summary: ReturnType<SteadyLoad['summary']>;
  dropped: Record<string, Record<string, number>>;
  exits: number;
}): string {
  const columns = Object.keys(run.marks);
  const header = `| service | ${columns.join(' | ')} |\n|---|${columns.map(() => '---').join('|')}|`;
  const rows = SERVICES.map((name) => `| ${name} | ${columns.map((column) => `${run.marks[column]!.rssMb[name]} / ${run.marks[column]!.heapMb[name]}`).join(' | ')} |`);
  const peak = SERVICES.map((name) => `${name} ${Math.max(...run.samples.map((s) => s.rssMb[name] ?? 0))} MB`).join(', ');
  return [
    `Soak: ${run.minutes} min of ${run.perSecond} requests/s mixed load, outages of ${Math.round(run.outageMs / 1000)} s each; RSS / heap used in MB (from /metrics).`,
    '',
    header,
    ...rows,
    '',
    `Peak RSS: ${peak}. Replica deaths: ${run.exits}.`,
    `Requests: ${run.summary.sent} sent, ${run.summary.skipped} not sent (over 200 in flight); ${JSON.stringify(run.summary.results)}`,
    `Refused or dropped instead of held: ${JSON.stringify(run.dropped)}`,
  ].join('\n');
}
