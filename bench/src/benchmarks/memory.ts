import { readFileSync } from 'node:fs';
import { fixed, type Cell, type Section } from '../report.js';

/*
 * Memory: each process's resident set (VmRSS in /proc/<pid>/status), at rest
 * after start-up, sampled under the 100-connection throughput run, and at
 * rest again once the load is gone.
 */

export interface ProcessRef {
  name: string;
  pid: number;
}

/** VmRSS in MiB, or null when the process is gone or /proc is not there. */
export function readRssMiB(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export type RssSnapshot = Map<string, number | null>;

export function snapshotRss(processes: readonly ProcessRef[]): RssSnapshot {
  return new Map(processes.map((process) => [process.name, readRssMiB(process.pid)]));
}

export interface RssPeak {
  max: number;
  mean: number;
}

/** Samples every process's RSS every `intervalMs` until `stop()`. */
export function sampleRss(processes: readonly ProcessRef[], intervalMs = 200): { stop(): Map<string, RssPeak> } {
  const samples = new Map<string, number[]>(processes.map((process) => [process.name, []]));
  const take = (): void => {
    for (const process of processes) {
      const rss = readRssMiB(process.pid);
      if (rss !== null) samples.get(process.name)!.push(rss);
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      const out = new Map<string, RssPeak>();
      for (const [name, values] of samples) {
        if (values.length > 0) out.set(name, { max: Math.max(...values), mean: values.reduce((a, b) => a + b, 0) / values.length });
      }
      return out;
    },
  };
}

export function memorySection(input: {
  processes: readonly ProcessRef[];
  rest: RssSnapshot;
  load: Map<string, RssPeak> | null;
  loadLabel: string;
  after: RssSnapshot | null;
}): Section {
  const rows: Cell[][] = [];
  const total = { rest: 0, load: 0, after: 0 };
  for (const { name } of input.processes) {
    const rest = input.rest.get(name) ?? null;
    const load = input.load?.get(name) ?? null;
    const after = input.after?.get(name) ?? null;
    if (name.match(/^(ingress|limiter|upstream-caller|learner)-\d+$/)) {
      total.rest += rest ?? 0;
      total.load += load?.max ?? 0;
      total.after += after ?? 0;
    }
    rows.push([name, fixed(rest, 1), fixed(load?.max, 1), fixed(load?.mean, 1), fixed(after, 1)]);
  }
  rows.push(['Switchyard, all services', fixed(total.rest, 1), fixed(total.load, 1), null, fixed(total.after, 1)]);
  return {
    name: 'Memory',
    tables: [
      {
        title: 'Resident memory per process (MiB, VmRSS)',
        columns: ['process', 'at rest', `peak, ${input.loadLabel}`, `mean, ${input.loadLabel}`, 'at rest after the load'],
        rows,
        notes: [
          '"at rest": after start-up and a first request, before any load. Sampled every 200 ms during the load.',
          'NATS, Redis and Postgres are shared servers and not counted; Portkey keeps no state outside its one process.',
        ],
      },
    ],
    data: {
      rest: Object.fromEntries(input.rest),
      load: input.load ? Object.fromEntries(input.load) : null,
      after: input.after ? Object.fromEntries(input.after) : null,
    },
  };
}
