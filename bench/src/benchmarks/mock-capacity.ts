import type { BenchContext } from '../context.js';
import { percentiles, runLoad } from '../load.js';
import { fixed, type Cell, type Section } from '../report.js';
import { chatBody } from '../targets.js';

/*
 * The mock provider's own figures, answering at once: what it can serve
 * straight from the load generator. Every gateway figure sits well below
 * these, or the mock would be what was measured.
 */
export async function runMockCapacity(ctx: BenchContext): Promise<Section> {
  const { options, direct } = ctx;
  await ctx.mock.behave({ latencyMs: 0 });
  const rows: Cell[][] = [];
  const data: unknown[] = [];
  for (const connections of [1, 50, 100]) {
    ctx.progress(`mock provider alone: concurrency ${connections}, ${options.durationSec / 2} s`);
    const spec = { url: direct.url, headers: direct.headers, body: chatBody(direct.model), connections };
    await runLoad({ ...spec, amount: 500 });
    const result = await runLoad({ ...spec, durationSec: options.durationSec / 2 });
    const p = percentiles(result.latency);
    rows.push([connections, fixed(result.rps, 0), fixed(p.p50, 3), fixed(p.p99, 3), result.non2xx + result.errors]);
    data.push({ connections, rps: result.rps, ...p, errors: result.non2xx + result.errors });
  }
  await ctx.mock.settle();
  return {
    name: 'Mock provider alone',
    tables: [
      {
        title: 'The mock provider answering at once, straight from the load generator',
        columns: ['concurrency', 'requests/s', 'p50 ms', 'p99 ms', 'errors'],
        rows,
        notes: ['node:http in a process of its own; the load generator (autocannon) shares the same 2 cores, so these are the ceiling of the whole setup, not of the mock alone.'],
      },
    ],
    data,
  };
}
