import type { Section } from '../report.js';
import { measureRoutingOverhead } from './routing-overhead.js';
import { simulateRegret } from './routing-regret.js';
import { signalTable } from './routing-signals.js';
import { simulateOnText } from './routing-text.js';

/** Conversations per simulated run on text: enough for the posteriors to settle (about 200 learned code turns). */
const TEXT_CONVERSATIONS = 400;

/** Adaptive routing (issue 4): its cost per request at the ingress, and how well it learns. Pure CPU, no servers. */
export function runRouting(options: { iterations: number; turns: number; seeds: number }): { section: Section; svg: string } {
  const overhead = measureRoutingOverhead(options.iterations);
  const regret = simulateRegret({ turns: options.turns, seeds: options.seeds });
  const signals = signalTable();
  const text = simulateOnText({ conversations: TEXT_CONVERSATIONS, seeds: options.seeds });
  return {
    section: {
      name: 'Adaptive routing',
      tables: [overhead.table, ...regret.tables, signals.table, text.table],
      data: { overhead: overhead.data, regret: regret.data, signals: signals.data, text: text.data },
    },
    svg: regret.svg,
  };
}
