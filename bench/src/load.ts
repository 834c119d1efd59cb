import autocannon from 'autocannon';
import { build, type Histogram } from 'hdr-histogram-js';

/*
 * The HTTP load generator: autocannon drives the requests; every response's
 * time (autocannon measures it with hrtime, in fractional ms) goes into an
 * HDR histogram in microseconds, so sub-millisecond differences survive and
 * rounds can be merged.
 */

/** A latency histogram in microseconds, 3 significant digits, up to 2 minutes. */
export function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
}

export interface Percentiles {
  count: number;
  /** Milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Percentiles of a microsecond histogram, in milliseconds. */
export function percentiles(histogram: Histogram, scale = 1000): Percentiles {
  const at = (p: number): number => histogram.getValueAtPercentile(p) / scale;
  return {
    count: histogram.totalCount,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: histogram.maxValue / scale,
    mean: histogram.mean / scale,
  };
}

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  /** Exactly this many requests (the run waits for every response)... */
  amount?: number;
  /** ...or as many as fit in this many seconds. */
  durationSec?: number;
  timeoutSec?: number;
}

export interface LoadResult {
  /** Responses with a 2xx status. */
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  elapsedSec: number;
  /** 2xx responses per second. */
  rps: number;
  /** Every response's time, microseconds. */
  latency: Histogram;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latency = newHistogram();
  let ok = 0;
  let non2xx = 0;
  const started = performance.now();
  let lastResponse = started;
  const options: autocannon.Options = {
    url: spec.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...spec.headers },
    body: spec.body,
    connections: spec.connections,
    pipelining: 1,
    // autocannon notices the end of a run on its sampling tick (1 s by default): tick often so runs end promptly.
    sampleInt: 50,
    timeout: spec.timeoutSec ?? 30,
    ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.durationSec ?? 5 }),
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error: unknown, done: autocannon.Result) => (error ? reject(error) : resolve(done)));
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      lastResponse = performance.now();
      if (statusCode >= 200 && statusCode < 300) {
        ok += 1;
        latency.recordValue(Math.max(1, Math.round(responseTimeMs * 1000)));
      } else {
        non2xx += 1;
      }
    });
  });
  // From the start to the last response: the tick that ends autocannon's run is not part of it.
  const elapsedSec = Math.max(1e-6, lastResponse - started) / 1000;
  return { ok, non2xx, errors: result.errors + result.timeouts, elapsedSec, rps: ok / elapsedSec, latency };
}
