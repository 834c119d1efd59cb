import { gatewayTargets, type BenchContext } from '../context.js';
import { percentiles, runLoad, type LoadResult } from '../load.js';
import { fixed, ratio, type Cell, type Section } from '../report.js';
import { chatBody, type Target } from '../targets.js';
import { cpuDelta, cpuTable, sharedServers, snapshotCpu, type CpuRun } from './cpu.js';
import { rotate } from './interleave.js';
import { sampleRss, type ProcessRef, type RssPeak } from './memory.js';

/*
 * Throughput: concurrency 1, 10, 50, 100 against the mock answering after
 * 20 ms, each gateway and the mock itself, interleaved level by level. Each
 * measured run sends an exact number of requests (about `durationSec` worth,
 * from the warm-up's rate) and waits for all of them, so that the mock's call
 * count can be held against the completed requests: one request, one call.
 */

export interface ThroughputRow {
  concurrency: number;
  target: Target['id'];
  label: string;
  requests: number;
  ok: number;
  failed: number;
  rps: number;
  p50: number;
  p99: number;
  providerCalls: number;
}

export interface ThroughputResult {
  section: Section;
  /** RSS peaks during the highest concurrency level (all targets' processes). */
  memoryUnderLoad: Map<string, RssPeak> | null;
  peakLevel: number;
}

/** Issue 6: at concurrency 50 with the 20 ms mock, at least the peer's requests per second. */
export const THROUGHPUT_TARGET_LEVEL = 50;

export async function runThroughput(ctx: BenchContext, memoryProcesses: readonly ProcessRef[]): Promise<ThroughputResult> {
  const { options } = ctx;
  await ctx.mock.behave({ latencyMs: options.mockLatencyMs });
  const targets = [ctx.direct, ...gatewayTargets(ctx)];
  const peakLevel = Math.max(...options.concurrency);
  const rows: ThroughputRow[] = [];
  let memoryUnderLoad: Map<string, RssPeak> | null = null;
  const cpuLevel = options.concurrency.includes(THROUGHPUT_TARGET_LEVEL) ? THROUGHPUT_TARGET_LEVEL : peakLevel;
  const cpuRuns: CpuRun[] = [];

  for (const [levelIndex, concurrency] of options.concurrency.entries()) {
    for (const target of rotate(targets, levelIndex)) {
      ctx.progress(`throughput: concurrency ${concurrency}, ${target.id}, ~${options.durationSec} s`);
      const spec = { url: target.url, headers: target.headers, body: chatBody(target.model), connections: concurrency };
      const warm = await runLoad({ ...spec, amount: Math.max(20, concurrency * 5) });
      await ctx.mock.settle();
      const before = (await ctx.mock.stats()).calls;
      const amount = Math.max(concurrency * 2, Math.round(Math.max(warm.rps, 1) * options.durationSec));
      const sampler = concurrency === peakLevel ? sampleRss(memoryProcesses) : null;
      const cpuProcesses = concurrency === cpuLevel ? [...target.pids, ...sharedServers()] : [];
      const cpuBefore = snapshotCpu(cpuProcesses);
      const result: LoadResult = await runLoad({ ...spec, amount });
      if (concurrency === cpuLevel) cpuRuns.push({ label: target.label, concurrency, requests: result.ok, used: cpuDelta(cpuBefore, snapshotCpu(cpuProcesses)) });
      const peaks = sampler?.stop();
      if (peaks) {
        memoryUnderLoad ??= new Map();
        // Each target's own processes, read while that target was under load.
        for (const { name } of target.pids) {
          const peak = peaks.get(name);
          if (peak) memoryUnderLoad.set(name, peak);
        }
      }
      const settled = await ctx.mock.settle();
      const p = percentiles(result.latency);
      rows.push({
        concurrency,
        target: target.id,
        label: target.label,
        requests: amount,
        ok: result.ok,
        failed: result.non2xx + result.errors,
        rps: result.rps,
        p50: p.p50,
        p99: p.p99,
        providerCalls: settled.calls - before,
      });
    }
  }
  const section = throughputSection(rows, options);
  section.tables.push(cpuTable(cpuRuns));
  section.data = { runs: rows, cpu: cpuRuns.map((run) => ({ ...run, used: Object.fromEntries(run.used) })) };
  return { section, memoryUnderLoad, peakLevel };
}

function throughputSection(rows: ThroughputRow[], options: BenchContext['options']): Section {
  const order: Array<Target['id']> = ['direct', 'switchyard', 'portkey'];
  const cells: Cell[][] = [];
  let allOneCall = true;
  for (const concurrency of options.concurrency) {
    const level = rows.filter((row) => row.concurrency === concurrency).sort((a, b) => order.indexOf(a.target) - order.indexOf(b.target));
    for (const row of level) {
      const oneCall = row.providerCalls === row.ok;
      if (!oneCall) allOneCall = false;
      cells.push([
        concurrency,
        row.label,
        fixed(row.rps, 0),
        fixed(row.p50, 2),
        fixed(row.p99, 2),
        row.failed,
        row.ok,
        row.providerCalls,
        oneCall ? 'yes' : `NO (${row.providerCalls - row.ok >= 0 ? '+' : ''}${row.providerCalls - row.ok})`,
      ]);
    }
    const ours = level.find((row) => row.target === 'switchyard');
    const theirs = level.find((row) => row.target === 'portkey');
    if (ours && theirs) {
      cells.push([concurrency, 'Switchyard / Portkey', ratio(ours.rps, theirs.rps), ratio(ours.p50, theirs.p50), ratio(ours.p99, theirs.p99), null, null, null, null]);
    }
  }
  const notes = [
    `The mock answers every request after ${options.mockLatencyMs} ms; latencies in ms, client-side (autocannon, HDR histogram).`,
    `Each run sends about ${options.durationSec} s worth of requests (rate from a warm-up run) and waits for every response; "calls = completed": the mock counted exactly one call per completed request.`,
    allOneCall ? 'One request, one provider call: held in every run.' : 'One request, one provider call: NOT held in every run (see the last column).',
  ];
  const ours = rows.find((row) => row.concurrency === THROUGHPUT_TARGET_LEVEL && row.target === 'switchyard');
  const theirs = rows.find((row) => row.concurrency === THROUGHPUT_TARGET_LEVEL && row.target === 'portkey');
  if (ours && theirs) {
    notes.push(
      `Issue 6 target (requests/s at concurrency ${THROUGHPUT_TARGET_LEVEL} >= the peer's): ${ours.rps >= theirs.rps ? 'met' : 'NOT met'} (${fixed(ours.rps, 0)} vs ${fixed(theirs.rps, 0)}).`,
    );
  }
  return {
    name: 'Throughput',
    tables: [
      {
        title: `Throughput against the mock with ${options.mockLatencyMs} ms latency`,
        columns: ['concurrency', 'path', 'requests/s', 'p50', 'p99', 'errors', 'completed', 'provider calls', 'calls = completed'],
        rows: cells,
        notes,
      },
    ],
    data: rows,
  };
}
