import { readdirSync, readFileSync } from 'node:fs';
import { fixed, type Cell, type Table } from '../report.js';
import type { ProcessRef } from './memory.js';

/*
 * CPU time per request, per process: user + system time from
 * /proc/<pid>/stat before and after a run, divided by the requests it
 * completed. Unlike a sampling profile, time a process spent descheduled
 * (waiting for a core while another process runs) does not count.
 */

const TICKS_PER_SECOND = 100;
/** The shared servers, found by process name; on a busy machine they also serve other work. */
const SHARED = ['nats-server', 'redis-server', 'postgres'] as const;

/** utime + stime of a process in ms, or null when it is gone. */
export function readCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state is field 3, utime 14 and stime 15 (1-based), i.e. indexes 11 and 12 here.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Every process of the shared servers, by name (all postgres backends count as "postgres"). */
export function sharedServers(): ProcessRef[] {
  const out: ProcessRef[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return out;
  }
  for (const entry of entries) {
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      const name = SHARED.find((server) => comm === server || comm.startsWith(`${server}:`));
      if (name) out.push({ name, pid: Number(entry) });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return out;
}

/** CPU ms per process, keyed by pid. */
export type CpuSnapshot = Map<number, { name: string; ms: number }>;

export function snapshotCpu(processes: readonly ProcessRef[]): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  for (const { name, pid } of processes) {
    const ms = readCpuMs(pid);
    if (ms !== null) out.set(pid, { name, ms });
  }
  return out;
}

/** CPU ms used between two snapshots by process name (processes of one name summed; only those in both). */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const [pid, { name, ms }] of after) {
    const start = before.get(pid);
    if (start) out.set(name, (out.get(name) ?? 0) + Math.max(0, ms - start.ms));
  }
  return out;
}

export interface CpuRun {
  label: string;
  concurrency: number;
  requests: number;
  /** CPU ms used during the run, by process name. */
  used: Map<string, number>;
}

export function cpuTable(runs: readonly CpuRun[]): Table {
  const rows: Cell[][] = [];
  for (const run of runs) {
    const perRequest = (ms: number): string => (run.requests > 0 ? fixed((ms / run.requests) * 1000, 0) : '-');
    let own = 0;
    for (const [name, ms] of run.used) {
      if (!(SHARED as readonly string[]).includes(name)) own += ms;
    }
    const entries = [...run.used].sort((a, b) => b[1] - a[1]);
    for (const [name, ms] of entries) rows.push([run.label, run.concurrency, name, perRequest(ms)]);
    rows.push([run.label, run.concurrency, 'total, own processes', perRequest(own)]);
  }
  return {
    title: 'CPU time per completed request, by process (µs; user + system from /proc)',
    columns: ['path', 'concurrency', 'process', 'CPU µs / request'],
    rows,
    notes: [
      'The mock provider and the load generator are not part of any gateway total. nats-server, redis-server and postgres are shared: on a busy machine their figures include other work.',
      'A gateway whose own total is T µs per request cannot exceed (cores x 1,000,000 / T) requests/s on this machine, minus what the mock and the load generator need.',
    ],
  };
}
