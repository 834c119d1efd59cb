import type { Redis } from '@switchyard/redis';

/** How long a conversation stays with the model that first served it. */
export const SESSION_OWNER_TTL_SECONDS = 24 * 3600;

/**
 * Which model owns each learned conversation, in Redis with a TTL: shared by
 * every ingress replica and bounded, never an in-process map.
 */
export class SessionOwners {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async ownerOf(router: string, sessionKey: string): Promise<string | null> {
    return this.#redis.get(this.#key(router, sessionKey));
  }

  /**
   * Makes `model` the owner unless another request got there first; returns
   * whichever model owns the session now.
   */
  async claim(router: string, sessionKey: string, model: string): Promise<string> {
    const key = this.#key(router, sessionKey);
    const set = await this.#redis.set(key, model, 'EX', SESSION_OWNER_TTL_SECONDS, 'NX');
    if (set === 'OK') return model;
    return (await this.#redis.get(key)) ?? model;
  }

  #key(router: string, sessionKey: string): string {
    return `${this.#prefix}:session-owner:${router}:${sessionKey}`;
  }
}
