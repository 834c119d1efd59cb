import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ClusterLimiter, type LimitScope } from '@switchyard/limiter';
import { deleteKeys } from '../cleanup.js';
import { percentiles, runLoad, newHistogram } from '../load.js';
import { fixed, type Section } from '../report.js';
import type { BenchContext } from '../context.js';
import type { SwitchyardRun } from '../switchyard.js';
import { chatBody, type Target } from '../targets.js';
import { measureInterleaved, rotate } from './interleave.js';
import { added } from './overhead.js';

/*
 * The admission cost of virtual keys (issue 17): the same request on the
 * same limited deployment, once with the master key and once with a virtual
 * key whose own and whose team's rpm/tpm limits are on (never reached). The
 * difference is what a key costs per request: the hash lookup in the
 * records the ingress holds, the model check, and two more limiter scopes
 * in the one admission script.
 */

const MASTER_KEY = 'sk-bench-master-key';
const THROUGHPUT_CONNECTIONS = 50;

async function adminCall(origin: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

/** A key with its own and its team's limits, usable on the ingress (its records arrive over the KV watch). */
async function virtualKeyTarget(master: Target, origin: string): Promise<Target> {
  const team = await adminCall(origin, '/team/new', { team_alias: 'bench-team', rpm_limit: 100_000_000, tpm_limit: 100_000_000_000 });
  const key = await adminCall(origin, '/key/generate', { team_id: team.team_id, key_alias: 'bench-key', rpm_limit: 100_000_000, tpm_limit: 100_000_000_000, models: [master.model] });
  const target: Target = { ...master, id: 'switchyard-virtual-key', label: 'Switchyard, virtual key', headers: { authorization: `Bearer ${String(key.key)}` } };
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(target.url, { method: 'POST', headers: { ...target.headers, 'content-type': 'application/json' }, body: chatBody(target.model) });
    await response.arrayBuffer();
    if (response.status === 200) return target;
    if (attempt > 200) throw new Error(`the virtual key still answers ${response.status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The admission script alone: the deployment's scope, then with a key's and a team's beside it. */
async function measureScopes(count: number): Promise<Array<{ scopes: number; p50: number; p99: number; perSecond: number }>> {
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const prefix = `bench_keys_${randomBytes(4).toString('hex')}`;
  const limiter = new ClusterLimiter({ redis, keyPrefix: prefix });
  const scope = (name: string): LimitScope => ({ name, rpm: 1_000_000_000, tpm: 1_000_000_000_000, maxParallel: null });
  const sets = [[scope('dep:bench')], [scope('dep:bench'), scope(`key:${'a'.repeat(64)}`), scope('team:bench')]];
  const rows: Array<{ scopes: number; p50: number; p99: number; perSecond: number }> = [];
  try {
    for (let round = 0; round < 2; round++) {
      for (const scopes of rotate(sets, round)) {
        const histogram = newHistogram();
        const started = performance.now();
        for (let i = 0; i < count; i++) {
          const t0 = performance.now();
          await limiter.admit({ reservationId: randomUUID(), deploymentId: 'bench', scopes, tokens: 60, leaseMs: 60_000 });
          histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        }
        const elapsed = (performance.now() - started) / 1000;
        if (round === 1) rows.push({ scopes: scopes.length, ...percentiles(histogram), perSecond: count / elapsed });
      }
    }
  } finally {
    await deleteKeys(redis, `${prefix}:*`).catch(() => undefined);
    redis.disconnect();
  }
  return rows.sort((a, b) => a.scopes - b.scopes);
}

export async function runKeysCost(ctx: BenchContext, start: (masterKey: string) => Promise<SwitchyardRun>): Promise<Section> {
  const name = 'Virtual key cost (key and team limits vs the master key)';
  const { options } = ctx;
  await ctx.mock.behave({ latencyMs: 0 });
  ctx.progress('keys: starting a Switchyard with a master key (and the keys service)');
  const run = await start(MASTER_KEY);
  try {
    const master: Target = { ...run.limited, id: 'switchyard-master-key', label: 'Switchyard, master key' };
    const origin = run.stack.ingressUrls[0]!.replace(/\/v1$/, '');
    const virtual = await virtualKeyTarget(master, origin);
    ctx.progress(`keys: ${options.requests} requests per path at concurrency 1, ${options.rounds} interleaved rounds`);
    const c1 = await measureInterleaved([ctx.direct, master, virtual], { requests: options.requests, warmup: options.warmup, rounds: options.rounds, connections: 1 });
    const direct = percentiles(c1.get('direct')!.histogram);
    const withMaster = added(percentiles(c1.get('switchyard-master-key')!.histogram), direct);
    const withKey = added(percentiles(c1.get('switchyard-virtual-key')!.histogram), direct);
    const errorsAt1 = (id: 'switchyard-master-key' | 'switchyard-virtual-key') => c1.get(id)!.non2xx + c1.get(id)!.errors;

    ctx.progress(`keys: requests per second at concurrency ${THROUGHPUT_CONNECTIONS}, 2 x ${options.durationSec / 2} s per key`);
    const load = new Map<string, { ok: number; elapsed: number; errors: number; histogram: ReturnType<typeof newHistogram> }>();
    for (const target of [master, virtual]) load.set(target.id, { ok: 0, elapsed: 0, errors: 0, histogram: newHistogram() });
    for (let round = 0; round < 2; round++) {
      for (const target of rotate([master, virtual], round)) {
        const result = await runLoad({ url: target.url, headers: target.headers, body: chatBody(target.model), connections: THROUGHPUT_CONNECTIONS, durationSec: options.durationSec / 2 });
        const into = load.get(target.id)!;
        into.ok += result.ok;
        into.elapsed += result.elapsedSec;
        into.errors += result.non2xx + result.errors;
        into.histogram.add(result.latency);
      }
    }
    await ctx.mock.settle();
    const rps = (id: string) => load.get(id)!.ok / load.get(id)!.elapsed;
    const p = (id: string) => percentiles(load.get(id)!.histogram);
    const [pMaster, pKey] = [p('switchyard-master-key'), p('switchyard-virtual-key')];
    ctx.progress('keys: the admission script alone with 1 and 3 scopes');
    const script = await measureScopes(options.requests);
    const diff = (a: number, b: number, decimals = 3) => fixed(a - b, decimals);
    return {
      name,
      tables: [
        {
          title: 'Admission with a virtual key (its own and its team\'s rpm/tpm limits) vs the master key, same deployment, same stack',
          columns: ['measure', 'master key', 'virtual key', 'cost of the key'],
          rows: [
            ['added latency p50 at concurrency 1 (ms)', fixed(withMaster.p50, 3), fixed(withKey.p50, 3), diff(withKey.p50, withMaster.p50)],
            ['added latency p99 at concurrency 1 (ms)', fixed(withMaster.p99, 3), fixed(withKey.p99, 3), diff(withKey.p99, withMaster.p99)],
            [`requests/s, full path, concurrency ${THROUGHPUT_CONNECTIONS} (mock answers at once)`, fixed(rps('switchyard-master-key'), 0), fixed(rps('switchyard-virtual-key'), 0), `${fixed(((rps('switchyard-virtual-key') - rps('switchyard-master-key')) / rps('switchyard-master-key')) * 100, 1)}%`],
            [`p50 at concurrency ${THROUGHPUT_CONNECTIONS} (ms)`, fixed(pMaster.p50, 2), fixed(pKey.p50, 2), diff(pKey.p50, pMaster.p50, 2)],
            [`p99 at concurrency ${THROUGHPUT_CONNECTIONS} (ms)`, fixed(pMaster.p99, 2), fixed(pKey.p99, 2), diff(pKey.p99, pMaster.p99, 2)],
            ['errors', errorsAt1('switchyard-master-key') + load.get('switchyard-master-key')!.errors, errorsAt1('switchyard-virtual-key') + load.get('switchyard-virtual-key')!.errors, null],
          ],
          notes: [
            'Both paths count the deployment\'s rpm/tpm (100,000,000 / 100,000,000,000, never reached). The virtual key adds: a sha256 and a hash lookup in the key records the ingress holds (no database read), LiteLLM\'s model check, and its key and team scopes (the same limits) in the limiter\'s one admission script, settled with the deployment\'s.',
            'At concurrency 50 every process shares the same 2 cores: the figure there is CPU per request (two more window sums in Redis at admission and at settlement, a larger envelope parsed by the limiter and the upstream-caller), not waiting.',
          ],
        },
        {
          title: 'The admission script alone (ClusterLimiter.admit against the same Redis, concurrency 1)',
          columns: ['scopes', 'admissions', 'admissions/s', 'p50 ms', 'p99 ms'],
          rows: script.map((row) => [row.scopes === 1 ? '1 (deployment)' : '3 (deployment, key, team)', options.requests, fixed(row.perSecond, 0), fixed(row.p50, 3), fixed(row.p99, 3)]),
          notes: ['One EVALSHA either way: the key and team scopes add their window sums to the same atomic step, not a round trip.'],
        },
      ],
      data: { script, c1: { master: withMaster, virtualKey: withKey }, throughput: { master: { rps: rps('switchyard-master-key'), ...pMaster }, virtualKey: { rps: rps('switchyard-virtual-key'), ...pKey } } },
    };
  } finally {
    await run.stop();
  }
}
