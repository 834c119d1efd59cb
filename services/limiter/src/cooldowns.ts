import type { Redis } from 'ioredis';
import type { DeploymentHealthState } from '@switchyard/contracts';
import type { CooldownRule } from '@switchyard/routing';

/*
 * Deployment failures and cooldowns for the whole cluster, in the limiter's
 * Redis under the bus prefix. One script counts a failure (INCR with the
 * window as expiry) and, past the allowed failures, sets the cooldown key
 * with the cooldown as expiry: a deployment comes back by itself when the key
 * expires, whatever replica saw the failures and whether or not it is still
 * running.
 */

const RECORD_FAILURE_SCRIPT = `
local fails = redis.call('INCR', KEYS[1])
if fails == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
redis.call('LPUSH', KEYS[3], ARGV[4])
redis.call('LTRIM', KEYS[3], 0, 9)
redis.call('PEXPIRE', KEYS[3], ARGV[2])
if fails > tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

type RecordRunner = (numKeys: number, ...args: Array<string | number>) => Promise<number>;

/** One failure as kept for `GET /health/deployments`. */
export interface RecordedFailure {
  at: string;
  kind: string;
  status: number;
}

export class CooldownStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #record: RecordRunner;

  constructor(redis: Redis, keyPrefix: string) {
    this.#redis = redis;
    this.#prefix = keyPrefix;
    const commands = redis as Redis & Record<string, RecordRunner>;
    if (!commands.switchyardRecordFailure) commands.defineCommand('switchyardRecordFailure', { lua: RECORD_FAILURE_SCRIPT });
    this.#record = commands.switchyardRecordFailure!.bind(redis);
  }

  /** Counts one failure; true when it started a cooldown. */
  async recordFailure(deploymentId: string, rule: CooldownRule, failure: RecordedFailure): Promise<boolean> {
    const started = await this.#record(
      3,
      this.#key('fails', deploymentId),
      this.#key('cooldown', deploymentId),
      this.#key('recent', deploymentId),
      rule.allowedFails,
      rule.windowMs,
      rule.cooldownMs,
      JSON.stringify(failure),
    );
    return started === 1;
  }

  /** The deployments among `ids` that are cooling down now: one MGET. */
  async coolingAmong(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const values = await this.#redis.mget(...ids.map((id) => this.#key('cooldown', id)));
    return new Set(ids.filter((_, i) => values[i] !== null));
  }

  async states(ids: readonly string[]): Promise<DeploymentHealthState[]> {
    const pipeline = this.#redis.pipeline();
    for (const id of ids) {
      pipeline.pttl(this.#key('cooldown', id));
      pipeline.get(this.#key('fails', id));
      pipeline.lrange(this.#key('recent', id), 0, 9);
    }
    const results = (await pipeline.exec()) ?? [];
    return ids.map((deploymentId, i) => {
      const ttl = Number(results[i * 3]?.[1] ?? -2);
      const fails = Number(results[i * 3 + 1]?.[1] ?? 0);
      const recent = (results[i * 3 + 2]?.[1] as string[] | undefined) ?? [];
      return {
        deploymentId,
        coolingDown: ttl > 0,
        cooldownRemainingMs: Math.max(0, ttl),
        failuresInWindow: Number.isFinite(fails) ? fails : 0,
        recentFailures: recent.flatMap((line) => {
          try {
            return [JSON.parse(line) as RecordedFailure];
          } catch {
            return [];
          }
        }),
      };
    });
  }

  #key(kind: 'fails' | 'cooldown' | 'recent', deploymentId: string): string {
    // The id in braces keeps one deployment's keys in one Redis Cluster slot.
    return `${this.#prefix}:cd:{${deploymentId}}:${kind}`;
  }
}
