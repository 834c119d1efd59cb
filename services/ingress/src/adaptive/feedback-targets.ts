import { z } from 'zod';
import { RequestType } from '@switchyard/contracts';
import type { Redis } from '@switchyard/redis';

/** How long a routed request can be scored: a day, like a session's ownership. */
export const FEEDBACK_TARGET_TTL_SECONDS = 24 * 3600;

/** What a score of a request judges: the cell it was routed by, and who may score it. */
export const FeedbackTarget = z.object({
  router: z.string(),
  requestType: RequestType,
  model: z.string(),
  /** The caller that made the request (`anonymous` without auth): only it may score it. */
  callerId: z.string(),
  /** The caller's minimum tier chose the model: the score teaches with the constrained weight. */
  constrained: z.boolean(),
});
export type FeedbackTarget = z.infer<typeof FeedbackTarget>;

/**
 * The gateway's own request ids of routed requests, mapped to what a score of
 * them would teach, in Redis with a TTL: shared by every replica, bounded by
 * the TTL, never an in-process map. Only ids this gateway served are there,
 * so a client cannot score a request it invents.
 */
export class FeedbackTargets {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async remember(requestId: string, target: FeedbackTarget): Promise<void> {
    await this.#redis.set(this.#key(requestId), JSON.stringify(target), 'EX', FEEDBACK_TARGET_TTL_SECONDS);
  }

  async lookup(requestId: string): Promise<FeedbackTarget | null> {
    const value = await this.#redis.get(this.#key(requestId));
    if (value === null) return null;
    try {
      const parsed = FeedbackTarget.safeParse(JSON.parse(value));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  #key(requestId: string): string {
    return `${this.#prefix}:feedback-target:${requestId}`;
  }
}
