import { classifyRequest, pickModel, type Evidence } from '@switchyard/routing';
import type { Histogram } from 'hdr-histogram-js';
import { newHistogram, percentiles } from '../load.js';
import { fixed, type Cell, type Table } from '../report.js';
import { PROMPTS, ROUTER } from './routing-scenario.js';

/*
 * What adaptive routing adds to each request at the ingress: classifying the
 * last user message (sixteen rules over at most 2,000 characters) and picking
 * a model (a Thompson draw per candidate), timed call by call over realistic
 * prompts in one process. No I/O: session stickiness (Redis) is not included.
 */

export interface RoutingOverhead {
  table: Table;
  data: Record<string, ReturnType<typeof percentiles>>;
}

export function measureRoutingOverhead(iterations: number): RoutingOverhead {
  const cells = new Map<string, Evidence>(
    ROUTER.models.flatMap((model, i) => [[`code_generation|${model.name}`, { alpha: 40 + i * 7, beta: 12 + i * 3 }] as const]),
  );
  const lookup = (type: string) => (model: string) => cells.get(`${type}|${model}`);
  const classify = newHistogram();
  const pick = newHistogram();
  const both = newHistogram();
  const worst = newHistogram();
  const longest = PROMPTS.reduce((a, b) => (b.length > a.length ? b : a));

  const once = (prompt: string, into: Histogram[] | null): void => {
    const t0 = performance.now();
    const type = classifyRequest(prompt);
    const t1 = performance.now();
    const result = pickModel(ROUTER, type, lookup(type), { random: Math.random });
    const t2 = performance.now();
    if ('error' in result) throw new Error('routing benchmark: no eligible model');
    if (into) {
      // Nanoseconds in the histograms; reported in microseconds.
      into[0]!.recordValue(Math.max(1, Math.round((t1 - t0) * 1e6)));
      into[1]!.recordValue(Math.max(1, Math.round((t2 - t1) * 1e6)));
      into[2]!.recordValue(Math.max(1, Math.round((t2 - t0) * 1e6)));
    }
  };
  for (let i = 0; i < Math.min(10_000, iterations); i++) once(PROMPTS[i % PROMPTS.length]!, null);
  for (let i = 0; i < iterations; i++) once(PROMPTS[i % PROMPTS.length]!, [classify, pick, both]);
  const worstRuns = Math.max(1_000, Math.round(iterations / 10));
  const scratch = [newHistogram(), newHistogram(), worst];
  for (let i = 0; i < worstRuns; i++) once(longest, scratch);

  const us = (histogram: Histogram) => percentiles(histogram, 1000);
  const rows: Array<[string, Histogram]> = [
    ['classifyRequest', classify],
    [`pickModel (${ROUTER.models.length} models, Thompson sampling)`, pick],
    ['classify + pick', both],
    [`classify + pick, longest prompt (${longest.length} chars, capped at 2,000, no rule matches)`, worst],
  ];
  const cellsOut: Cell[][] = rows.map(([name, histogram]) => {
    const p = us(histogram);
    return [name, p.count, fixed(p.p50, 2), fixed(p.p99, 2), fixed(p.mean, 2), fixed(p.max, 1)];
  });
  return {
    table: {
      title: `Routing overhead per request at the ingress (microseconds; ${iterations} iterations over ${PROMPTS.length} prompts)`,
      columns: ['step', 'iterations', 'p50 µs', 'p99 µs', 'mean µs', 'max µs'],
      rows: cellsOut,
      notes: ['One process, one call at a time, timed with performance.now() around each call (its own cost, ~0.05 µs, included). Session stickiness (one Redis round trip) is not included.'],
    },
    data: Object.fromEntries(rows.map(([name, histogram]) => [name, us(histogram)])),
  };
}
