import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixed, type Cell, type Section } from './report.js';

/*
 * Reads the V8 CPU profiles the services wrote (`--cpu-prof`, one file per
 * process, named with its pid) and says where their CPU time went: by
 * package or workspace module, and by function (self time).
 */

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  process: string;
  file: string;
  /** Sampled time, ms, idle excluded. */
  busyMs: number;
  idleMs: number;
  byModule: Array<{ module: string; ms: number }>;
  byFunction: Array<{ fn: string; module: string; ms: number }>;
}

const IDLE = new Set(['(idle)']);

/** Where a frame's code lives: a package, a workspace module, node's own code, or V8 (GC, program). */
export function moduleOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (core)';
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const workspace = /\/(services|libs|infra)\/([^/]+)\//.exec(url);
  if (workspace) return `${workspace[1]}/${workspace[2]}`;
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfile(file: string, process: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, index) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000));
  const modules = new Map<string, number>();
  const functions = new Map<string, { fn: string; module: string; ms: number }>();
  let busyMs = 0;
  let idleMs = 0;
  for (const [id, ms] of selfMs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (IDLE.has(functionName)) {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    const module = moduleOf(url, functionName);
    modules.set(module, (modules.get(module) ?? 0) + ms);
    const name = `${functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : ''}`.trim();
    const entry = functions.get(name) ?? { fn: name, module, ms: 0 };
    entry.ms += ms;
    functions.set(name, entry);
  }
  return {
    process,
    file,
    busyMs,
    idleMs,
    byModule: [...modules].map(([module, ms]) => ({ module, ms })).sort((a, b) => b.ms - a.ms),
    byFunction: [...functions.values()].sort((a, b) => b.ms - a.ms),
  };
}

/** Every profile in `dir` whose name holds a known pid. */
export function summarizeProfiles(dir: string, pids: ReadonlyMap<number, string>): ProfileSummary[] {
  const out: ProfileSummary[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const pid = Number(/\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(file)?.[1]);
    const process = pids.get(pid);
    if (process) out.push(summarizeProfile(join(dir, file), process));
  }
  return out.sort((a, b) => a.process.localeCompare(b.process));
}

export function profileSection(summaries: ProfileSummary[], topModules = 8, topFunctions = 12): Section {
  const moduleRows: Cell[][] = [];
  const functionRows: Cell[][] = [];
  for (const summary of summaries) {
    const pct = (ms: number): string => `${fixed((ms / summary.busyMs) * 100, 1)}%`;
    moduleRows.push([summary.process, '(busy total)', fixed(summary.busyMs, 0), '100%']);
    for (const { module, ms } of summary.byModule.slice(0, topModules)) moduleRows.push([summary.process, module, fixed(ms, 0), pct(ms)]);
    for (const { fn, module, ms } of summary.byFunction.slice(0, topFunctions)) functionRows.push([summary.process, fn, module, fixed(ms, 0), pct(ms)]);
  }
  return {
    name: 'CPU profile (--cpu-prof)',
    tables: [
      { title: 'Self time by module, per service (whole run, idle excluded)', columns: ['process', 'module', 'ms', 'share'], rows: moduleRows },
      { title: 'Hottest functions by self time', columns: ['process', 'function', 'module', 'ms', 'share'], rows: functionRows },
    ],
    data: summaries.map((summary) => ({ ...summary, byFunction: summary.byFunction.slice(0, 60) })),
  };
}
