import type { Redis } from '@switchyard/redis';

/** How long a conversation stays with the model that first served it. */
export const SESSION_OWNER_TTL_SECONDS = 24 * 3600;

export interface SessionOwner {
  model: string;
  /** The owner was picked under the caller's minimum quality tier. */
  constrained: boolean;
}

/** A constrained owner is stored with this mark before the name; a plain name (as stored before the mark existed) is unconstrained. */
const CONSTRAINED_MARK = '\u0001';

function encodeOwner(owner: SessionOwner): string {
  return owner.constrained ? `${CONSTRAINED_MARK}${owner.model}` : owner.model;
}

function decodeOwner(value: string | null): SessionOwner | null {
  if (value === null) return null;
  return value.startsWith(CONSTRAINED_MARK) ? { model: value.slice(1), constrained: true } : { model: value, constrained: false };
}

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

  async ownerOf(router: string, sessionKey: string): Promise<SessionOwner | null> {
    return decodeOwner(await this.#redis.get(this.#key(router, sessionKey)));
  }

  /**
   * Makes `model` the owner unless another request got there first; returns
   * whichever model owns the session now. `constrained`: the caller's minimum
   * tier narrowed the pick, so the caller, not the bandit, chose the owner.
   */
  async claim(router: string, sessionKey: string, model: string, constrained = false): Promise<SessionOwner> {
    const key = this.#key(router, sessionKey);
    const set = await this.#redis.set(key, encodeOwner({ model, constrained }), 'EX', SESSION_OWNER_TTL_SECONDS, 'NX');
    if (set === 'OK') return { model, constrained };
    return decodeOwner(await this.#redis.get(key)) ?? { model, constrained };
  }

  #key(router: string, sessionKey: string): string {
    return `${this.#prefix}:session-owner:${router}:${sessionKey}`;
  }
}
