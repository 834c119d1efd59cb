import type { Redis } from 'ioredis';
import type { DeploymentLoad, LoadSnapshot } from '@switchyard/routing';
import type { ClusterLimiter } from './cluster-limiter.js';

/**
 * Cluster-wide load of deployments as the load-aware routing strategies
 * read it: the limiter's own window and in-flight counters (whatever replica
 * admitted the calls), and an average latency per deployment kept in Redis
 * from call-completed events (whatever replica settled them).
 */

/** Weight of the newest call in a deployment's average latency. */
const LATENCY_WEIGHT = 0.5;

const RECORD_LATENCY_SCRIPT = `
local sample = tonumber(ARGV[1])
local old = tonumber(redis.call('GET', KEYS[1]) or '')
local average = sample
if old then average = old * (1 - tonumber(ARGV[2])) + sample * tonumber(ARGV[2]) end
redis.call('SET', KEYS[1], tostring(average), 'PX', ARGV[3])
return 1
`;

type RecordRunner = (numKeys: number, ...args: Array<string | number>) => Promise<number>;

export interface ClusterLoadOptions {
  redis: Redis;
  keyPrefix: string;
  limiter: ClusterLimiter;
  /** routing_strategy_args.ttl: a latency older than this is forgotten (the deployment counts as untried). */
  latencyTtlMs: number;
}

export class ClusterLoad {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #limiter: ClusterLimiter;
  readonly #ttlMs: number;
  readonly #record: RecordRunner;

  constructor(options: ClusterLoadOptions) {
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix;
    this.#limiter = options.limiter;
    this.#ttlMs = options.latencyTtlMs;
    const commands = options.redis as Redis & Record<string, RecordRunner>;
    if (!commands.switchyardRecordLatency) commands.defineCommand('switchyardRecordLatency', { lua: RECORD_LATENCY_SCRIPT });
    this.#record = commands.switchyardRecordLatency!.bind(options.redis);
  }

  /** The load of each of `ids` now: one pipelined round trip. */
  async snapshot(ids: readonly string[]): Promise<LoadSnapshot> {
    const now = Date.now();
    const cutoff = Math.floor((now - this.#limiter.windowMs) / this.#limiter.bucketMs);
    const pipeline = this.#redis.pipeline();
    for (const id of ids) {
      const scope = `dep:${id}`;
      pipeline.hgetall(this.#limiter.keyOf(scope, 'req'));
      pipeline.hgetall(this.#limiter.keyOf(scope, 'tok'));
      // Entries are scored by their lease's end: an expired lease is a call that never settled.
      pipeline.zcount(this.#limiter.keyOf(scope, 'inflight'), now, '+inf');
      pipeline.get(this.#latencyKey(id));
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    const snapshot = new Map<string, DeploymentLoad>();
    ids.forEach((id, i) => {
      const [req, tok, inFlight, latency] = results.slice(i * 4, i * 4 + 4).map(([, value]) => value);
      const latencyMs = Number(latency);
      snapshot.set(id, {
        requestsThisMinute: windowSum(req, cutoff),
        tokensThisMinute: windowSum(tok, cutoff),
        inFlight: Number(inFlight) || 0,
        latencyMs: latency == null || !Number.isFinite(latencyMs) ? null : latencyMs,
      });
    });
    return snapshot;
  }

  /** Folds one finished call's latency into its deployment's cluster-wide average. */
  async recordLatency(deploymentId: string, latencyMs: number): Promise<void> {
    await this.#record(1, this.#latencyKey(deploymentId), Math.max(0, Math.round(latencyMs)), LATENCY_WEIGHT, this.#ttlMs);
  }

  #latencyKey(deploymentId: string): string {
    return `${this.#prefix}:lat:{${deploymentId}}`;
  }
}

/** The units of a window hash (field = bucket index) still inside the window, as the admit script counts them. */
function windowSum(hash: unknown, cutoff: number): number {
  if (!hash || typeof hash !== 'object') return 0;
  let total = 0;
  for (const [bucket, units] of Object.entries(hash as Record<string, string>)) {
    if (Number(bucket) >= cutoff) total += Number(units) || 0;
  }
  return total;
}
