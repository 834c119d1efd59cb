import { detectSignals, detectSignalsLegacy, evaluateSignals } from '@switchyard/routing';
import { fixed, type Cell, type Table } from '../report.js';

/** The signal detector's precision and recall on the labelled turns, the first rules beside the current ones (issue 18). */
export function signalTable(): { table: Table; data: unknown } {
  const before = evaluateSignals(detectSignalsLegacy);
  const after = evaluateSignals(detectSignals);
  const pct = (value: number) => `${fixed(value * 100, 0)}%`;
  const rows: Cell[][] = after.scores.map((score, index) => {
    const old = before.scores[index]!;
    return [score.signal, score.labelled, pct(old.precision), pct(old.recall), pct(score.precision), pct(score.recall)];
  });
  return {
    table: {
      title: `Signals on ${after.turns} hand-labelled conversation turns (libs/routing/src/fixtures/labelled-turns.ts)`,
      columns: ['signal', 'labelled turns', 'precision before', 'recall before', 'precision after', 'recall after'],
      rows,
      notes: ['Before: the spec\'s first rules (LiteLLM\'s); after: content words, acknowledgements, negation, several languages (libs/routing/src/signals.ts).'],
    },
    data: { before: before.scores, after: after.scores },
  };
}
