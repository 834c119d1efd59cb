import type { Section } from '../report.js';
import { measureRoutingOverhead } from './routing-overhead.js';
import { simulateRegret } from './routing-regret.js';

/** Adaptive routing (issue 4): its cost per request at the ingress, and how well it learns. Pure CPU, no servers. */
export function runRouting(options: { iterations: number; turns: number; seeds: number }): { section: Section; svg: string } {
  const overhead = measureRoutingOverhead(options.iterations);
  const regret = simulateRegret({ turns: options.turns, seeds: options.seeds });
  return {
    section: { name: 'Adaptive routing', tables: [overhead.table, ...regret.tables], data: { overhead: overhead.data, regret: regret.data } },
    svg: regret.svg,
  };
}
