/** How long a cancel is remembered for a call that has not arrived yet: longer than admission and a body read take. */
const DEFAULT_TTL_MS = 60_000;
/** Bounds the memory a burst of hang-ups can take (a few hundred kB). */
const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * The calls of one upstream-caller, by server request id, and the requests
 * whose client left. A cancel is broadcast, so it can overtake its own call
 * (still in the limiter, or its body still being read): it is remembered for
 * a while, and a call that arrives after it never reaches the provider.
 * Keys are the gateway's own request ids, never a client's.
 */
export class CallCancellations {
  readonly #active = new Map<string, Set<AbortController>>();
  /** Request id -> when the memory of its cancel lapses; insertion order is expiry order. */
  readonly #cancelled = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#now = options.now ?? Date.now;
  }

  /** Calls in progress. */
  get size(): number {
    let count = 0;
    for (const calls of this.#active.values()) count += calls.size;
    return count;
  }

  /** Registers a call; its signal aborts when its request is cancelled (also when it already was). */
  begin(requestId: string): { signal: AbortSignal; end(): void } {
    const controller = new AbortController();
    if (this.wasCancelled(requestId)) controller.abort(new Error('client disconnected'));
    let calls = this.#active.get(requestId);
    if (!calls) this.#active.set(requestId, (calls = new Set()));
    calls.add(controller);
    return {
      signal: controller.signal,
      end: () => {
        calls.delete(controller);
        if (calls.size === 0 && this.#active.get(requestId) === calls) this.#active.delete(requestId);
      },
    };
  }

  cancel(requestId: string): void {
    const now = this.#now();
    this.#cancelled.delete(requestId);
    this.#cancelled.set(requestId, now + this.#ttlMs);
    this.#prune(now);
    for (const controller of this.#active.get(requestId) ?? []) controller.abort(new Error('client disconnected'));
  }

  wasCancelled(requestId: string): boolean {
    const until = this.#cancelled.get(requestId);
    return until !== undefined && until > this.#now();
  }

  #prune(now: number): void {
    for (const [requestId, until] of this.#cancelled) {
      if (until > now && this.#cancelled.size <= this.#maxEntries) break;
      this.#cancelled.delete(requestId);
    }
  }
}
