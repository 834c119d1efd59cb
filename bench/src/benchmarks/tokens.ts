import { Tiktoken } from 'js-tiktoken/lite';
import o200kRanks from 'js-tiktoken/ranks/o200k_base';
import { countTextTokens, CountBudget, MAX_BPE_PIECE_CHARS, warmTokenizer } from '@switchyard/providers';
import { fixed, type Section } from '../report.js';

/*
 * Token counting on the ingress's event loop (issue 12): what one hostile
 * prompt costs. "Before" is the exact count the ingress used to run
 * (js-tiktoken over the whole text), measured on words short enough to
 * finish: its time grows with the square of a word's length (a 10,000-letter
 * word took 16 s). "After" is the bounded count: pre-tokens cut to
 * MAX_BPE_PIECE_CHARS, and a per-request CPU budget beyond which text counts
 * as its UTF-8 bytes.
 */

const KIB = 1024;

function seeded(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function randomUnicode(length: number): string {
  const random = seeded(11);
  let text = '';
  while (text.length < length) text += String.fromCodePoint(Math.floor(random() * 0xd7ff));
  return text.slice(0, length);
}

function prose(length: number): string {
  const words = ['the', 'gateway', 'counts', 'tokens', 'per', 'minute', 'and', 'requests', 'for', 'every', 'deployment', 'of', 'a', 'cluster', 'limit', 'holds'];
  const random = seeded(5);
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    const word = words[Math.floor(random() * words.length)]! + (random() < 0.1 ? '. ' : ' ');
    parts.push(word);
    size += word.length;
  }
  // Through JSON, as a request body's text arrives: one flat string.
  return JSON.parse(JSON.stringify(parts.join('').slice(0, length))) as string;
}

/** Median of `runs` timings of `work`, in ms. */
function time(work: () => number, runs: number): { ms: number; tokens: number } {
  const timings: number[] = [];
  let tokens = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    tokens = work();
    timings.push(performance.now() - started);
  }
  timings.sort((a, b) => a - b);
  return { ms: timings[Math.floor(timings.length / 2)]!, tokens };
}

export function runTokens(options: { quick: boolean }): Section {
  const runs = options.quick ? 3 : 9;
  const exact = new Tiktoken(o200kRanks);
  exact.encode('warm up');
  warmTokenizer('o200k_base');
  const bounded = (text: string) => () => countTextTokens(text, 'o200k_base', new CountBudget());

  const beforeWords = options.quick ? [500, 1_000, 2_000] : [500, 1_000, 2_000, 4_000];
  const rows: Array<Array<string | number>> = [];
  for (const letters of beforeWords) {
    const word = 'a'.repeat(letters);
    const before = time(() => exact.encode(word, [], []).length, runs);
    const after = time(bounded(word), runs);
    rows.push([`one ${letters.toLocaleString('en')}-letter word`, fixed(before.ms, 1), fixed(after.ms, 2), before.tokens, after.tokens]);
  }
  const cases: Array<[string, string]> = [
    ['one 64 KiB word', 'a'.repeat(64 * KIB)],
    ['64 KiB of random unicode', randomUnicode(64 * KIB)],
    ['1 MiB of prose', prose(1024 * KIB)],
    ['16 MiB of prose (the body limit)', prose(16 * 1024 * KIB)],
  ];
  for (const [label, text] of cases) {
    const after = time(bounded(text), runs);
    rows.push([label, '-', fixed(after.ms, 2), '-', after.tokens]);
  }
  const short = prose(16 * KIB);
  const shortExact = exact.encode(short, [], []).length;
  const shortAfter = time(bounded(short), runs);
  rows.push(['16 KiB of prose', fixed(time(() => exact.encode(short, [], []).length, runs).ms, 2), fixed(shortAfter.ms, 2), shortExact, shortAfter.tokens]);

  return {
    name: 'Token counting (prompt estimate on the event loop)',
    tables: [
      {
        title: 'Time to count one text, o200k_base (median ms)',
        columns: ['input', 'before: exact, whole text (ms)', 'after: bounded (ms)', 'tokens before', 'tokens after'],
        rows,
        notes: [
          `Before: js-tiktoken's encode over the whole text, the ingress's count until issue 12; a 64 KiB word is not measured (quadratic: four times the time per doubling, about half an hour by the rows above). After: pre-tokens cut to ${MAX_BPE_PIECE_CHARS} characters before the BPE (gpt-tokenizer, the same ranks), and a 25 ms budget per request beyond which text counts as its UTF-8 bytes (an upper bound of any BPE count, so a reservation never falls short).`,
          'Ordinary text under the budget counts exactly as before (tokens before = after); a text that hits the budget counts high, never low, and settlement corrects it to the provider\'s usage.',
        ],
      },
    ],
    data: { rows },
  };
}
