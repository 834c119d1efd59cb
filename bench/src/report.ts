import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Machine } from './machine.js';

/*
 * Tables, and the files a run leaves behind. Every benchmark returns its
 * figures as tables plus raw data; this module alone turns them into text for
 * the terminal, Markdown for the README and JSON for tooling.
 */

export type Cell = string | number | null;

export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Lines printed under the table: what was measured, how, and what to make of it. */
  notes?: string[];
}

export interface Section {
  name: string;
  tables: Table[];
  /** Everything the tables were computed from (goes to the JSON file only). */
  data: unknown;
}

export interface RunReport {
  mode: 'quick' | 'full';
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  options: unknown;
  sections: Section[];
  /** Things that did not run, and why. */
  problems: string[];
}

/** A number with a fixed number of decimals; null prints as a dash. */
export function fixed(value: number | null | undefined, decimals = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return value.toFixed(decimals);
}

/** Switchyard's figure over the peer's, as "1.23x". */
export function ratio(ours: number | null | undefined, theirs: number | null | undefined): string {
  if (ours === null || ours === undefined || theirs === null || theirs === undefined || theirs === 0) return '-';
  return `${(ours / theirs).toFixed(2)}x`;
}

function text(cell: Cell): string {
  if (cell === null) return '-';
  return typeof cell === 'number' ? String(cell) : cell;
}

const isNumeric = (cell: Cell): boolean => typeof cell === 'number' || (typeof cell === 'string' && /^[-+]?[\d.,]+(x|%| ms| µs)?$/.test(cell));

export function renderText(table: Table): string {
  const cells = [table.columns, ...table.rows.map((row) => row.map(text))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[], source?: Cell[]): string =>
    row
      .map((cell, i) => (source && isNumeric(source[i] ?? null) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [`== ${table.title}`, line(table.columns), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of table.rows) out.push(line(row.map(text), row));
  for (const note of table.notes ?? []) out.push(`   ${note}`);
  return out.join('\n');
}

export function renderMarkdown(table: Table): string {
  const escape = (cell: string): string => cell.replaceAll('|', '\\|');
  const out = [`**${table.title}**`, '', `| ${table.columns.map(escape).join(' | ')} |`];
  out.push(`|${table.columns.map((_, i) => (table.rows.some((row) => isNumeric(row[i] ?? null)) ? '---:' : '---')).join('|')}|`);
  for (const row of table.rows) out.push(`| ${row.map((cell) => escape(text(cell))).join(' | ')} |`);
  if (table.notes?.length) out.push('', ...table.notes.map((note) => `- ${note}`));
  return out.join('\n');
}

export function machineTable(machine: Machine): Table {
  return {
    title: 'Machine',
    columns: ['what', 'value'],
    rows: [
      ['CPU', machine.cpuModel],
      ['cores', machine.cores],
      ['memory', `${machine.memoryGiB} GiB`],
      ['OS', machine.os],
      ['node', machine.node],
      ['load average at start (1/5/15 min)', machine.loadAverage.map((value) => value.toFixed(2)).join(' / ')],
    ],
  };
}

export function printSection(section: Section): void {
  for (const table of section.tables) console.log(`\n${renderText(table)}`);
}

export function printProblems(problems: readonly string[]): void {
  if (problems.length === 0) return;
  console.log('\n== Not measured');
  for (const problem of problems) console.log(`- ${problem}`);
}

export function toMarkdown(report: RunReport): string {
  const out = [
    `# Switchyard benchmark (${report.mode})`,
    '',
    `Taken ${report.startedAt} with \`${report.command}\`; every process (gateways, mock provider, load generator, NATS, Redis, Postgres) on the one machine below.`,
    '',
    renderMarkdown(machineTable(report.machine)),
  ];
  for (const section of report.sections) {
    out.push('', `## ${section.name}`);
    for (const table of section.tables) out.push('', renderMarkdown(table));
  }
  if (report.problems.length > 0) out.push('', '## Not measured', '', ...report.problems.map((problem) => `- ${problem}`));
  return `${out.join('\n')}\n`;
}

/** Writes `<stem>.json` and `<stem>.md` under `dir`; returns their paths. */
export function writeReport(dir: string, stem: string, report: RunReport): string[] {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${stem}.json`);
  const md = join(dir, `${stem}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(md, toMarkdown(report));
  return [json, md];
}
