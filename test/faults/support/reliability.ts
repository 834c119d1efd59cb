import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { MockProvider } from '../../harness/index.js';
import { count, type Outcome } from './load.js';

/**
 * The figures of issue 7, one row per fault, printed and kept in
 * test/faults/results/reliability.json for the README's Reliability section.
 * Test files run in parallel processes, so the file is updated under a lock.
 */

export interface ReliabilityRow {
  fault: string;
  /** Requests sent, probes included. */
  sent: number;
  succeeded: number;
  failedCleanly: number;
  /** No answer within the request's own timeout: must be 0. */
  hung: number;
  /** Failures that are neither a defined error nor a refused connection where one is allowed: must be 0. */
  unclean: number;
  /** Most provider calls one request caused: must be <= 1. */
  maxProviderCallsPerRequest: number;
  /** Signals (call-completed events, limiter reservations) lost or applied twice: must be 0. */
  signalsLostOrDoubled: number;
  /** From lifting the fault (or the kill, where nothing is lifted) to the first request served again; null when nothing failed. */
  recoverMs: number | null;
  note: string;
}

const MARKER = /mk-[a-z0-9]+-[0-9a-f]{6}-\d+/g;

/** Provider calls per marker, from the bodies the mock provider recorded. */
export function providerCallsByMarker(mock: MockProvider): Map<string, number> {
  const calls = new Map<string, number>();
  for (const request of mock.requests) {
    const markers = new Set(JSON.stringify(request.body).match(MARKER) ?? []);
    for (const marker of markers) calls.set(marker, (calls.get(marker) ?? 0) + 1);
  }
  return calls;
}

export function maxCallsPerRequest(outcomes: readonly Outcome[], calls: ReadonlyMap<string, number>): number {
  return outcomes.reduce((max, outcome) => Math.max(max, calls.get(outcome.marker) ?? 0), 0);
}

export function rowOf(
  fault: string,
  outcomes: readonly Outcome[],
  mock: MockProvider,
  figures: { signalsLostOrDoubled: number; recoverMs: number | null; note?: string },
): ReliabilityRow {
  return {
    fault,
    sent: outcomes.length,
    succeeded: count(outcomes, 'ok'),
    failedCleanly: count(outcomes, 'clean'),
    hung: count(outcomes, 'hung'),
    unclean: count(outcomes, 'unclean'),
    maxProviderCallsPerRequest: maxCallsPerRequest(outcomes, providerCallsByMarker(mock)),
    signalsLostOrDoubled: figures.signalsLostOrDoubled,
    recoverMs: figures.recoverMs === null ? null : Math.round(figures.recoverMs),
    note: [figures.note ?? '', uncleanSummary(outcomes)].filter((part) => part !== '').join('; '),
  };
}

/** What the unclean failures were, grouped: `unclean: 4 x 500 internal_error`. */
function uncleanSummary(outcomes: readonly Outcome[]): string {
  const groups = new Map<string, number>();
  for (const outcome of outcomes) {
    if (outcome.kind !== 'unclean') continue;
    const key = outcome.status === null ? `connection error ${outcome.code ?? ''}`.trim() : `${outcome.status} ${outcome.code ?? 'with a body that is not OpenAI-shaped'}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return groups.size === 0 ? '' : `unclean: ${[...groups].map(([key, n]) => `${n} x ${key}`).join(', ')}`;
}

/** The failures a row counts as unclean or hung, for an assertion message. */
export function describeBad(outcomes: readonly Outcome[]): string {
  return outcomes
    .filter((outcome) => outcome.kind === 'unclean' || outcome.kind === 'hung')
    .slice(0, 10)
    .map((outcome) => `${outcome.marker} ${outcome.kind}: ${outcome.detail}`)
    .join('\n');
}

const RESULTS = fileURLToPath(new URL('../results/reliability.json', import.meta.url));
const LOCK = `${RESULTS}.lock`;

/** The fixed order of the faults in the file and the printed table. */
export const FAULT_ORDER = [
  'nats: SIGKILL and restart',
  'redis: SIGKILL and restart (reject policy)',
  'postgres: connections cut and restored',
  'replicas: SIGKILL one of two of each service',
  'provider: slow (timeout)',
  'provider: drops connections',
  'provider: 500',
  'provider: 429 with Retry-After',
  'provider: garbage JSON',
  'provider: stream cut halfway',
  'shutdown: SIGTERM ingress',
  'shutdown: SIGTERM upstream-caller',
];

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  await mkdir(new URL('../results/', import.meta.url), { recursive: true });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left by a process that died holding it.
      const held = await stat(LOCK).catch(() => null);
      if (held && Date.now() - held.mtimeMs > 20_000) await rm(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`could not lock ${RESULTS}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  try {
    return await work();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

interface ResultsFile {
  description: string;
  columns: Record<string, string>;
  rows: Array<ReliabilityRow & { measuredAt: string }>;
}

const COLUMNS: Record<string, string> = {
  sent: 'requests sent (probes included)',
  succeeded: '2xx with a complete body',
  failedCleanly: "a defined OpenAI-shaped error (or, where an ingress went away, a refused connection before any response byte)",
  hung: 'no answer within the request\'s own timeout (must be 0)',
  unclean: 'any other failure (must be 0)',
  maxProviderCallsPerRequest: 'most provider calls one request caused, counted by a unique marker per request at the mock provider (must be <= 1)',
  signalsLostOrDoubled:
    'served provider calls whose call-completed event was never published, events not applied to deployment_usage or applied twice, reservations still holding a slot after their lease (must be 0); a call whose upstream-caller was SIGKILLed mid-call has no event by design and is reported in the note',
  recoverMs: 'ms from lifting the fault (or the kill) to the first request served again; printed, not asserted',
};

/** Adds (or replaces) rows in reliability.json and prints the whole table. */
export async function recordRows(rows: readonly ReliabilityRow[]): Promise<void> {
  const table = await withLock(async () => {
    let current: ResultsFile = { description: '', columns: COLUMNS, rows: [] };
    try {
      current = JSON.parse(await readFile(RESULTS, 'utf8')) as ResultsFile;
    } catch {
      // first run
    }
    const measuredAt = new Date().toISOString();
    const byFault = new Map(current.rows.map((row) => [row.fault, row]));
    for (const row of rows) byFault.set(row.fault, { ...row, measuredAt });
    const ordered = [...byFault.values()].sort((a, b) => rank(a.fault) - rank(b.fault));
    const next: ResultsFile = {
      description: 'Fault suite (test/faults, `pnpm test:faults`): one row per fault, written by the last run of each test.',
      columns: COLUMNS,
      rows: ordered,
    };
    const temporary = `${RESULTS}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`);
    await rename(temporary, RESULTS);
    return ordered;
  });
  const fresh = new Set(rows.map((row) => row.fault));
  console.log(formatTable(table, fresh));
}

function rank(fault: string): number {
  const index = FAULT_ORDER.indexOf(fault);
  return index === -1 ? FAULT_ORDER.length : index;
}

export function formatTable(rows: readonly ReliabilityRow[], fresh: ReadonlySet<string> = new Set()): string {
  const header = ['fault', 'sent', 'ok', 'failed cleanly', 'hung', 'unclean', 'max calls/request', 'signals lost/doubled', 'recover ms'];
  const lines = rows.map((row) => [
    `${fresh.has(row.fault) ? '*' : ' '} ${row.fault}`,
    String(row.sent),
    String(row.succeeded),
    String(row.failedCleanly),
    String(row.hung),
    String(row.unclean),
    String(row.maxProviderCallsPerRequest),
    String(row.signalsLostOrDoubled),
    row.recoverMs === null ? '-' : String(row.recoverMs),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(' | ');
  return ['reliability (* measured just now)', format(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...lines.map(format)].join('\n');
}
