import { Agent } from 'node:http';
import type { Histogram } from 'hdr-histogram-js';
import { sleep } from '../clock.js';
import type { BenchContext } from '../context.js';
import { newHistogram, percentiles } from '../load.js';
import { fixed, ratio, type Cell, type Section } from '../report.js';
import { openStream, type StreamOutcome } from '../sse-client.js';
import { chatBody, type Target, type TargetId } from '../targets.js';
import { rotate } from './interleave.js';

/*
 * Streaming: (1) time to first token at concurrency 1, direct and through
 * each gateway; (2) many SSE streams held at once, the mock writing a chunk
 * every `chunkGapMs` on each, and every chunk's delay from the moment the
 * mock wrote it to the moment it reached the client. Buffering anywhere on
 * the path shows as delay; the direct row is the client's and the mock's own.
 */

/** Issue 6: every chunk reaches the client within this many ms of leaving the provider. */
export const CHUNK_DELAY_TARGET_MS = 5;
const TTFT_WARMUP = 20;

export async function runStreaming(ctx: BenchContext): Promise<Section> {
  const targets = [ctx.direct, ctx.switchyard?.limited, ctx.peerStreaming].filter((target): target is Target => target != null);
  const offsetBefore = await ctx.mock.clockOffsetMs();
  const ttft = await measureTtft(ctx, targets, offsetBefore);
  const held = await measureHeld(ctx, targets, offsetBefore);
  const offsetAfter = await ctx.mock.clockOffsetMs();
  const drift = Math.abs(offsetAfter - offsetBefore);
  held.table.notes!.push(`Clocks: the mock's clock differs from the client's by ${fixed(offsetBefore, 3)} ms (measured, corrected); it moved ${fixed(drift, 3)} ms during the run.`);
  return {
    name: 'Streaming',
    tables: [ttft.table, held.table],
    data: { ttft: ttft.data, held: held.data, clockOffsetMs: { before: offsetBefore, after: offsetAfter } },
  };
}

async function measureTtft(ctx: BenchContext, targets: readonly Target[], offset: number) {
  const { options } = ctx;
  await ctx.mock.behave({ latencyMs: 0, streamChunks: 5, chunkGapMs: 0 });
  ctx.progress(`streaming: time to first token, ${options.ttftRequests} streams per path at concurrency 1`);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const histograms = new Map<TargetId, Histogram>(targets.map((target) => [target.id, newHistogram()]));
  const failures = new Map<TargetId, number>(targets.map((target) => [target.id, 0]));
  const one = async (target: Target, record: boolean): Promise<void> => {
    const outcome = await openStream(target, chatBody(target.model, { stream: true }), agent, offset);
    if (!record) return;
    if (outcome.status !== 200 || outcome.ttftMs === null || !outcome.done) failures.set(target.id, failures.get(target.id)! + 1);
    else histograms.get(target.id)!.recordValue(Math.max(1, Math.round(outcome.ttftMs * 1000)));
  };
  for (const target of targets) for (let i = 0; i < TTFT_WARMUP; i++) await one(target, false);
  const perRound = Math.ceil(options.ttftRequests / options.rounds);
  for (let round = 0; round < options.rounds; round++) {
    for (const target of rotate(targets, round)) for (let i = 0; i < perRound; i++) await one(target, true);
  }
  agent.destroy();
  const direct = percentiles(histograms.get('direct')!);
  const addedBy = new Map<TargetId, { p50: number; p99: number }>();
  const rows: Cell[][] = targets.map((target) => {
    const p = percentiles(histograms.get(target.id)!);
    const added = target.id === 'direct' ? null : { p50: p.p50 - direct.p50, p99: p.p99 - direct.p99 };
    if (added) addedBy.set(target.id, added);
    return [target.label, p.count, fixed(p.p50, 3), fixed(p.p90, 3), fixed(p.p99, 3), added ? fixed(added.p50, 3) : '-', added ? fixed(added.p99, 3) : '-', failures.get(target.id)!];
  });
  const ours = addedBy.get('switchyard');
  const theirs = addedBy.get('portkey');
  if (ours && theirs) rows.push(['Switchyard / Portkey (added)', null, null, null, null, ratio(ours.p50, theirs.p50), ratio(ours.p99, theirs.p99), null]);
  return {
    table: {
      title: 'Time to first token at concurrency 1 (ms; the mock streams its first chunk at once)',
      columns: ['path', 'streams', 'p50', 'p90', 'p99', 'added p50', 'added p99', 'failed'],
      rows,
      notes: ['From the request leaving the client to the first content chunk reaching it; "added" = minus the direct percentile.'],
    },
    data: Object.fromEntries(targets.map((target) => [target.id, { ...percentiles(histograms.get(target.id)!), added: addedBy.get(target.id) ?? null, failed: failures.get(target.id) }])),
  };
}

interface HeldResult {
  streams: number;
  target: TargetId;
  label: string;
  completed: number;
  chunks: number;
  expectedChunks: number;
  p50: number;
  p99: number;
  max: number;
  late: number;
  worstGapExcessMs: number;
  errors: string[];
}

async function measureHeld(ctx: BenchContext, targets: readonly Target[], offset: number) {
  const { options } = ctx;
  await ctx.mock.behave({ latencyMs: 0, streamChunks: options.streamChunks, chunkGapMs: options.chunkGapMs });
  const results: HeldResult[] = [];
  for (const [levelIndex, streams] of options.streams.entries()) {
    for (const target of rotate(targets, levelIndex)) {
      ctx.progress(`streaming: ${streams} concurrent streams through ${target.id}, ${options.streamChunks} chunks ${options.chunkGapMs} ms apart`);
      results.push(await holdStreams(target, streams, options.streamChunks, options.chunkGapMs, offset));
      await ctx.mock.settle();
    }
  }
  const order: TargetId[] = ['direct', 'switchyard', 'portkey'];
  results.sort((a, b) => a.streams - b.streams || order.indexOf(a.target) - order.indexOf(b.target));
  const rows: Cell[][] = results.map((r) => [
    r.streams,
    r.label,
    `${r.completed}/${r.streams}`,
    `${r.chunks}/${r.expectedChunks}`,
    fixed(r.p50, 3),
    fixed(r.p99, 3),
    fixed(r.max, 2),
    r.late,
    fixed(r.worstGapExcessMs, 2),
  ]);
  const notes = [
    `Each stream: ${options.streamChunks} chunks ${options.chunkGapMs} ms apart, the streams' starts spread over one gap. Delay = arrival at the client minus the moment the mock wrote the chunk (ms).`,
    `"late": chunks delayed more than ${CHUNK_DELAY_TARGET_MS} ms; "worst gap excess": the most a gap between two chunks at the client exceeded the same gap at the mock.`,
  ];
  const ours = results.filter((r) => r.target === 'switchyard');
  if (ours.length > 0) {
    const late = ours.reduce((sum, r) => sum + r.late, 0);
    const lost = ours.some((r) => r.completed < r.streams || r.chunks < r.expectedChunks);
    notes.push(
      `Issue 6 target (every chunk within ${CHUNK_DELAY_TARGET_MS} ms of leaving the provider): ${late === 0 && !lost ? 'met' : 'NOT met'} (${late} late chunks${lost ? ', some streams incomplete' : ''}; compare the direct rows: the client's own share).`,
    );
  }
  for (const r of results) if (r.errors.length > 0) notes.push(`${r.label}, ${r.streams} streams: ${r.errors.slice(0, 3).join('; ')}`);
  return {
    table: { title: 'Concurrent SSE streams: chunk delay, mock -> client (ms)', columns: ['streams', 'path', 'completed', 'chunks', 'p50', 'p99', 'max', 'late', 'worst gap excess'], rows, notes },
    data: results,
  };
}

async function holdStreams(target: Target, streams: number, chunks: number, gapMs: number, offset: number): Promise<HeldResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: streams + 10 });
  const body = chatBody(target.model, { stream: true });
  const outcomes = await Promise.all(
    Array.from({ length: streams }, async (_, index): Promise<StreamOutcome> => {
      await sleep((index * gapMs) / streams);
      return openStream(target, body, agent, offset);
    }),
  );
  agent.destroy();
  const delays = newHistogram();
  let late = 0;
  let worstGapExcessMs = 0;
  let chunkCount = 0;
  const errors = new Set<string>();
  for (const outcome of outcomes) {
    if (outcome.error) errors.add(outcome.error);
    else if (outcome.status !== 200) errors.add(`status ${outcome.status}`);
    outcome.chunks.forEach((chunk, index) => {
      const delay = chunk.receivedMs - chunk.sentMs;
      chunkCount += 1;
      if (delay > CHUNK_DELAY_TARGET_MS) late += 1;
      delays.recordValue(Math.max(1, Math.round(delay * 1000)));
      const previous = outcome.chunks[index - 1];
      if (previous) {
        const excess = chunk.receivedMs - previous.receivedMs - (chunk.sentMs - previous.sentMs);
        worstGapExcessMs = Math.max(worstGapExcessMs, excess);
      }
    });
  }
  const p = percentiles(delays);
  return {
    streams,
    target: target.id,
    label: target.label,
    completed: outcomes.filter((outcome) => outcome.done && outcome.chunks.length === chunks).length,
    chunks: chunkCount,
    expectedChunks: streams * chunks,
    p50: p.p50,
    p99: p.p99,
    max: p.max,
    late,
    worstGapExcessMs,
    errors: [...errors],
  };
}
