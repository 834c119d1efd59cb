/**
 * Collects items and hands them to `flush` in batches: when `maxItems` are
 * waiting or `maxDelayMs` after the first one arrived. Flushes run one at a
 * time, in order, so a slow database applies back-pressure instead of piling
 * up concurrent transactions.
 */
export class Batcher<T> {
  readonly #flush: (items: T[]) => Promise<void>;
  readonly #maxItems: number;
  readonly #maxDelayMs: number;
  #items: T[] = [];
  #timer: NodeJS.Timeout | null = null;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: { flush: (items: T[]) => Promise<void>; maxItems: number; maxDelayMs: number }) {
    this.#flush = options.flush;
    this.#maxItems = options.maxItems;
    this.#maxDelayMs = options.maxDelayMs;
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.#items.length >= this.#maxItems) {
      void this.drain();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.drain(), this.#maxDelayMs);
    }
  }

  /** Flushes what is waiting; resolves when every flush so far has finished. */
  drain(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const items = this.#items;
    this.#items = [];
    if (items.length > 0) this.#chain = this.#chain.then(() => this.#flush(items));
    return this.#chain;
  }
}
