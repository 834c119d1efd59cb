import { parseArgs } from 'node:util';

/*
 * The command line of `pnpm bench`: a full run by default, `--quick` for a
 * smoke-sized one, and a flag for every count so that a figure can be taken
 * again with more samples.
 */

export const BENCHMARKS = ['mock', 'overhead', 'limiter', 'keys', 'throughput', 'streaming', 'memory', 'routing', 'tokens', 'translation'] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

export interface BenchOptions {
  quick: boolean;
  /** Measured requests per path at concurrency 1. */
  requests: number;
  warmup: number;
  /** Interleaved rounds the measured requests are split into. */
  rounds: number;
  /** Seconds of requests per throughput run. */
  durationSec: number;
  concurrency: number[];
  /** The mock's latency in the throughput runs. */
  mockLatencyMs: number;
  ttftRequests: number;
  /** Concurrent SSE stream counts. */
  streams: number[];
  streamChunks: number;
  chunkGapMs: number;
  routingIterations: number;
  routingTurns: number;
  routingSeeds: number;
  only: Set<BenchmarkName>;
  peer: boolean;
  cpuProf: boolean;
  logLevel: string;
  /** Switchyard's base port; undefined = a free random one. */
  port: number | undefined;
  out: string;
}

export const USAGE = `Usage: pnpm bench [--quick] [options]

  --quick                    smoke-sized counts (well under 2 minutes)
  --only a,b                 run only these: ${BENCHMARKS.join(', ')}
  --skip a,b                 run all but these
  --no-peer                  do not start the peer gateway (Portkey)
  --requests N               measured requests per path at concurrency 1 (full 5000, quick 600)
  --warmup N                 warm-up requests per path (full 500, quick 100)
  --rounds N                 interleaved rounds (full 5, quick 2)
  --duration S               seconds per throughput run (full 8, quick 2)
  --concurrency 1,10,50,100  throughput levels
  --latency MS               mock latency for throughput (20)
  --ttft N                   streams per path for time to first token (full 1000, quick 100)
  --streams 100,500          concurrent SSE streams held
  --chunks N --chunk-gap MS  per stream: chunks and the gap between them (20, 20 ms)
  --routing-iterations N     classify + pick iterations (full 100000, quick 20000)
  --routing-turns N          simulated turns (10000)
  --routing-seeds N          simulation seeds averaged (full 20, quick 5)
  --cpu-prof                 run every service with --cpu-prof; summary in the report, profiles in bench/results/profiles/
  --log-level L              services' LOG_LEVEL (warn: no per-request log line)
  --port P                   Switchyard's base port (default: a random free one)
  --out DIR                  results directory (bench/results)
`;

const list = (text: string): number[] =>
  text.split(',').map((part) => {
    const value = Number(part.trim());
    if (!Number.isFinite(value) || value <= 0) throw new Error(`not a positive number: "${part}"`);
    return value;
  });

function names(text: string | undefined): BenchmarkName[] {
  if (text === undefined) return [];
  return text.split(',').map((name) => {
    const trimmed = name.trim();
    if (!(BENCHMARKS as readonly string[]).includes(trimmed)) throw new Error(`unknown benchmark "${trimmed}" (known: ${BENCHMARKS.join(', ')})`);
    return trimmed as BenchmarkName;
  });
}

export function parseBenchArgs(argv: string[], defaultOut: string): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      quick: { type: 'boolean' },
      only: { type: 'string' },
      skip: { type: 'string' },
      'no-peer': { type: 'boolean' },
      requests: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      concurrency: { type: 'string' },
      latency: { type: 'string' },
      ttft: { type: 'string' },
      streams: { type: 'string' },
      chunks: { type: 'string' },
      'chunk-gap': { type: 'string' },
      'routing-iterations': { type: 'string' },
      'routing-turns': { type: 'string' },
      'routing-seeds': { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      'log-level': { type: 'string' },
      port: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const quick = values.quick === true;
  const num = (value: string | undefined, full: number, fast: number): number => (value === undefined ? (quick ? fast : full) : list(value)[0]!);
  const only = names(values.only);
  const skip = new Set(names(values.skip));
  return {
    quick,
    requests: num(values.requests, 5_000, 600),
    warmup: num(values.warmup, 500, 100),
    rounds: num(values.rounds, 5, 2),
    durationSec: num(values.duration, 8, 2),
    concurrency: values.concurrency ? list(values.concurrency) : [1, 10, 50, 100],
    mockLatencyMs: num(values.latency, 20, 20),
    ttftRequests: num(values.ttft, 1_000, 100),
    streams: values.streams ? list(values.streams) : [100, 500],
    streamChunks: num(values.chunks, 20, 20),
    chunkGapMs: num(values['chunk-gap'], 20, 20),
    routingIterations: num(values['routing-iterations'], 100_000, 20_000),
    routingTurns: num(values['routing-turns'], 10_000, 10_000),
    routingSeeds: num(values['routing-seeds'], 20, 5),
    only: new Set((only.length > 0 ? only : [...BENCHMARKS]).filter((name) => !skip.has(name))),
    peer: values['no-peer'] !== true,
    cpuProf: values['cpu-prof'] === true,
    logLevel: values['log-level'] ?? 'warn',
    port: values.port === undefined ? undefined : list(values.port)[0],
    out: values.out ?? defaultOut,
  };
}
