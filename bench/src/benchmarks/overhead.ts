import { gatewayTargets, type BenchContext } from '../context.js';
import { percentiles, type Percentiles } from '../load.js';
import { fixed, ratio, type Cell, type Section } from '../report.js';
import type { Target, TargetId } from '../targets.js';
import { measureFloor } from './floor.js';
import { measureInterleaved, type Measured } from './interleave.js';

/*
 * Overhead: the same short chat completion at concurrency 1, straight to the
 * mock (which answers at once) and through each gateway. What a gateway adds
 * is its percentile minus the direct percentile, percentile by percentile.
 */

export interface OverheadResult {
  section: Section;
  /** Every target's measurement, for the limiter section. */
  measured: Map<TargetId, Measured>;
}

/** Issue 6's targets for the added latency at concurrency 1 through all services. */
export const ADDED_TARGET_MS = { p50: 1, p99: 3 } as const;

export interface Added {
  p50: number;
  p90: number;
  p99: number;
}

export function added(through: Percentiles, direct: Percentiles): Added {
  return { p50: through.p50 - direct.p50, p90: through.p90 - direct.p90, p99: through.p99 - direct.p99 };
}

export async function runOverhead(ctx: BenchContext): Promise<OverheadResult> {
  const { options } = ctx;
  await ctx.mock.behave({ latencyMs: 0 });
  const targets: Target[] = [ctx.direct, ...gatewayTargets(ctx)];
  if (ctx.switchyard) targets.splice(2, 0, ctx.switchyard.unlimited);
  ctx.progress(`overhead: ${options.requests} requests per target at concurrency 1, ${options.rounds} interleaved rounds (${targets.map((t) => t.id).join(', ')})`);
  const measured = await measureInterleaved(targets, {
    requests: options.requests,
    warmup: options.warmup,
    rounds: options.rounds,
    connections: 1,
  });
  const direct = percentiles(measured.get('direct')!.histogram);
  const rows: Cell[][] = [];
  const addedBy = new Map<TargetId, Added>();
  for (const target of targets) {
    const m = measured.get(target.id)!;
    const p = percentiles(m.histogram);
    const a = target.id === 'direct' ? null : added(p, direct);
    if (a) addedBy.set(target.id, a);
    rows.push([
      target.label,
      m.ok,
      fixed(p.p50, 3),
      fixed(p.p90, 3),
      fixed(p.p99, 3),
      fixed(p.max, 2),
      a ? fixed(a.p50, 3) : '-',
      a ? fixed(a.p90, 3) : '-',
      a ? fixed(a.p99, 3) : '-',
      m.non2xx + m.errors,
    ]);
  }
  const ours = addedBy.get('switchyard');
  const theirs = addedBy.get('portkey');
  if (ours && theirs) {
    rows.push(['Switchyard / Portkey (added)', null, null, null, null, null, ratio(ours.p50, theirs.p50), ratio(ours.p90, theirs.p90), ratio(ours.p99, theirs.p99), null]);
  }
  const notes = [
    'Milliseconds. "added" = the path\'s percentile minus the direct percentile (same request, same mock, answering at once).',
    'Switchyard: ingress -> limiter (rpm/tpm limits on: tokenizer + one Redis Lua script) -> upstream-caller -> mock, learner and settlement consuming the JetStream events.',
  ];
  if (ours) {
    const met = ours.p50 <= ADDED_TARGET_MS.p50 && ours.p99 <= ADDED_TARGET_MS.p99;
    notes.push(
      `Issue 6 target (added p50 <= ${ADDED_TARGET_MS.p50} ms, p99 <= ${ADDED_TARGET_MS.p99} ms): ${met ? 'met' : 'NOT met'} (p50 ${fixed(ours.p50, 3)} ms, p99 ${fixed(ours.p99, 3)} ms).`,
    );
  }
  ctx.progress('overhead: the floor, one NATS and one Redis round trip');
  const floor = await measureFloor(Math.min(options.requests, 2_000));
  return {
    measured,
    section: {
      name: 'Overhead at concurrency 1',
      tables: [
        {
          title: `Added latency at concurrency 1 (${options.requests} requests per path after ${options.warmup} warm-up, ${options.rounds} interleaved rounds)`,
          columns: ['path', 'requests', 'p50', 'p90', 'p99', 'max', 'added p50', 'added p90', 'added p99', 'errors'],
          rows,
          notes,
        },
        floor,
      ],
      data: Object.fromEntries([...measured].map(([id, m]) => [id, { ...percentiles(m.histogram), ok: m.ok, errors: m.non2xx + m.errors, added: addedBy.get(id) ?? null }])),
    },
  };
}
