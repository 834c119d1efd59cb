import type { Histogram } from 'hdr-histogram-js';
import { newHistogram, runLoad } from '../load.js';
import { chatBody, type Target, type TargetId } from '../targets.js';

/*
 * Fair comparison on a shared, noisy machine: every target is measured in
 * several short rounds, in an order that rotates each round, so that a burst
 * of background work lands on all of them alike; the rounds' histograms are
 * merged.
 */

export interface Measured {
  histogram: Histogram;
  ok: number;
  non2xx: number;
  errors: number;
  elapsedSec: number;
}

export interface InterleaveOptions {
  /** Measured requests per target, over all rounds. */
  requests: number;
  /** Unmeasured requests per target first. */
  warmup: number;
  rounds: number;
  connections: number;
  /** Extra body fields (e.g. `stream`). */
  extra?: Record<string, unknown>;
}

export function rotate<T>(items: readonly T[], by: number): T[] {
  const offset = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(offset), ...items.slice(0, offset)];
}

export async function measureInterleaved(targets: readonly Target[], options: InterleaveOptions): Promise<Map<TargetId, Measured>> {
  const spec = (target: Target, amount: number) => ({
    url: target.url,
    headers: target.headers,
    body: chatBody(target.model, options.extra),
    connections: options.connections,
    amount,
  });
  for (const target of targets) if (options.warmup > 0) await runLoad(spec(target, options.warmup));
  const out = new Map<TargetId, Measured>(
    targets.map((target) => [target.id, { histogram: newHistogram(), ok: 0, non2xx: 0, errors: 0, elapsedSec: 0 }]),
  );
  const perRound = Math.max(1, Math.ceil(options.requests / options.rounds));
  for (let round = 0; round < options.rounds; round++) {
    for (const target of rotate(targets, round)) {
      const result = await runLoad(spec(target, perRound));
      const into = out.get(target.id)!;
      into.histogram.add(result.latency);
      into.ok += result.ok;
      into.non2xx += result.non2xx;
      into.errors += result.errors;
      into.elapsedSec += result.elapsedSec;
    }
  }
  return out;
}
