import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ClusterLimiter, type LimitScope } from '@switchyard/limiter';
import { deleteKeys } from '../cleanup.js';
import type { BenchContext } from '../context.js';
import { newHistogram, percentiles, runLoad } from '../load.js';
import { fixed, type Section } from '../report.js';
import { chatBody, type TargetId } from '../targets.js';
import { measureInterleaved, rotate, type Measured } from './interleave.js';
import { added } from './overhead.js';

/*
 * The limiter's cost (issue 3): the same path with the deployment's rpm/tpm
 * limits on and off (two deployments of the same mock in one gateway file),
 * at concurrency 1 for the latency and at concurrency 50 for admissions per
 * second; and the admission script alone against Redis, which bounds what
 * any number of limiter replicas can admit.
 */

const THROUGHPUT_CONNECTIONS = 50;
const SCRIPT_CONCURRENCY = [1, 50];

export async function runLimiterCost(ctx: BenchContext, c1: Map<TargetId, Measured> | null): Promise<Section> {
  const name = 'Limiter cost (limits on vs off)';
  if (!ctx.switchyard) return { name, tables: [], data: null };
  const { limited, unlimited } = ctx.switchyard;
  const { options } = ctx;
  await ctx.mock.behave({ latencyMs: 0 });
  if (!c1) {
    ctx.progress(`limiter: ${options.requests} requests per path at concurrency 1`);
    c1 = await measureInterleaved([ctx.direct, limited, unlimited], { requests: options.requests, warmup: options.warmup, rounds: options.rounds, connections: 1 });
  }
  const direct = percentiles(c1.get('direct')!.histogram);
  const on = added(percentiles(c1.get('switchyard')!.histogram), direct);
  const off = added(percentiles(c1.get('switchyard-nolimits')!.histogram), direct);

  ctx.progress(`limiter: admissions per second through the full path, concurrency ${THROUGHPUT_CONNECTIONS}, 2 x ${options.durationSec / 2} s per config`);
  const load = new Map<string, { ok: number; elapsed: number; histogram: ReturnType<typeof newHistogram>; errors: number }>();
  for (const target of [limited, unlimited]) load.set(target.id, { ok: 0, elapsed: 0, histogram: newHistogram(), errors: 0 });
  for (let round = 0; round < 2; round++) {
    for (const target of rotate([limited, unlimited], round)) {
      const result = await runLoad({
        url: target.url,
        headers: target.headers,
        body: chatBody(target.model),
        connections: THROUGHPUT_CONNECTIONS,
        durationSec: options.durationSec / 2,
      });
      const into = load.get(target.id)!;
      into.ok += result.ok;
      into.elapsed += result.elapsedSec;
      into.errors += result.non2xx + result.errors;
      into.histogram.add(result.latency);
    }
  }
  await ctx.mock.settle();
  const rps = (id: string): number => load.get(id)!.ok / load.get(id)!.elapsed;
  const p = (id: string) => percentiles(load.get(id)!.histogram);
  const [pOn, pOff] = [p('switchyard'), p('switchyard-nolimits')];

  ctx.progress('limiter: the admission script alone against Redis');
  const script = await measureScript(options.requests);

  const diff = (a: number, b: number, decimals = 3): string => fixed(a - b, decimals);
  return {
    name,
    tables: [
      {
        title: 'Limiter hop: limits on vs off, same deployment, same stack',
        columns: ['measure', 'limits off', 'limits on', 'cost of the limits'],
        rows: [
          ['added latency p50 at concurrency 1 (ms)', fixed(off.p50, 3), fixed(on.p50, 3), diff(on.p50, off.p50)],
          ['added latency p99 at concurrency 1 (ms)', fixed(off.p99, 3), fixed(on.p99, 3), diff(on.p99, off.p99)],
          [`admissions/s, full path, concurrency ${THROUGHPUT_CONNECTIONS} (mock answers at once)`, fixed(rps('switchyard-nolimits'), 0), fixed(rps('switchyard'), 0), `${fixed(((rps('switchyard') - rps('switchyard-nolimits')) / rps('switchyard-nolimits')) * 100, 1)}%`],
          [`p50 at concurrency ${THROUGHPUT_CONNECTIONS} (ms)`, fixed(pOff.p50, 2), fixed(pOn.p50, 2), diff(pOn.p50, pOff.p50, 2)],
          [`p99 at concurrency ${THROUGHPUT_CONNECTIONS} (ms)`, fixed(pOff.p99, 2), fixed(pOn.p99, 2), diff(pOn.p99, pOff.p99, 2)],
          ['errors', load.get('switchyard-nolimits')!.errors, load.get('switchyard')!.errors, null],
        ],
        notes: [
          'Limits on: rpm 100,000,000 and tpm 100,000,000,000 (never reached): the ingress counts prompt tokens with the real tokenizer and the limiter runs its sliding-window Lua script in Redis for every request; limits off: neither.',
          'Settlement (a second script per request, from the call-completed event) runs off the request path and is included in the throughput figures only.',
        ],
      },
      {
        title: 'The admission script alone (ClusterLimiter.admit from one Node process against the same Redis)',
        columns: ['concurrency', 'admissions', 'admissions/s', 'p50 ms', 'p99 ms'],
        rows: script.map((row) => [row.concurrency, row.count, fixed(row.perSecond, 0), fixed(row.p50, 3), fixed(row.p99, 3)]),
        notes: ['The ceiling for one Redis whatever the number of limiter replicas: every admission of a deployment is one EVALSHA on its keys.'],
      },
    ],
    data: { c1: { on, off }, throughput: { on: { rps: rps('switchyard'), ...pOn }, off: { rps: rps('switchyard-nolimits'), ...pOff } }, script },
  };
}

interface ScriptRow {
  concurrency: number;
  count: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function measureScript(count: number): Promise<ScriptRow[]> {
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const prefix = `bench_script_${randomBytes(4).toString('hex')}`;
  const limiter = new ClusterLimiter({ redis, keyPrefix: prefix });
  const scope: LimitScope = { name: 'dep:bench', rpm: 1_000_000_000, tpm: 1_000_000_000_000, maxParallel: null };
  const admitOnce = () => limiter.admit({ reservationId: randomUUID(), deploymentId: 'bench', scopes: [scope], tokens: 60, leaseMs: 60_000 });
  const rows: ScriptRow[] = [];
  try {
    for (let i = 0; i < 200; i++) await admitOnce();
    for (const concurrency of SCRIPT_CONCURRENCY) {
      const histogram = newHistogram();
      const total = concurrency === 1 ? count : count * 4;
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < total) {
            const t0 = performance.now();
            await admitOnce();
            histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
          }
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      const p = percentiles(histogram);
      rows.push({ concurrency, count: total, perSecond: total / elapsed, p50: p.p50, p99: p.p99 });
    }
  } finally {
    await deleteKeys(redis, `${prefix}:*`).catch(() => undefined);
    redis.disconnect();
  }
  return rows;
}
