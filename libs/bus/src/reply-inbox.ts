import { createInbox, type NatsConnection, type Subscription } from 'nats';
import { isNoResponders, readReply, type ReplyMessage } from './codec.js';
import { busState } from './connection.js';

export type InboxEvent =
  | ReplyMessage
  | { part: 'no_responders' }
  | { part: 'timeout' }
  | { part: 'bus_lost' }
  | { part: 'malformed'; reason: string };

/**
 * How long requests in flight wait for the bus to come back before they fail:
 * replies published meanwhile are buffered by their sender and may still
 * arrive after a quick reconnect, but a client must not wait out a
 * generation timeout for a bus that is gone.
 */
export const BUS_LOSS_GRACE_MS = 5_000;

/**
 * One wildcard subscription per ingress connection, demultiplexed by the last
 * subject token: no per-request SUB/UNSUB round trips on the hot path.
 */
export class ReplyInbox {
  readonly #prefix: string;
  readonly #sub: Subscription;
  readonly #pending = new Map<string, PendingReply>();
  #counter = 0;

  #lossTimer: NodeJS.Timeout | null = null;

  constructor(nc: NatsConnection, graceMs = BUS_LOSS_GRACE_MS) {
    this.#prefix = createInbox();
    this.#sub = nc.subscribe(`${this.#prefix}.*`);
    void this.#dispatch();
    busState(nc).onChange((connected) => {
      if (connected) {
        if (this.#lossTimer) clearTimeout(this.#lossTimer);
        this.#lossTimer = null;
        return;
      }
      this.#lossTimer ??= setTimeout(() => {
        this.#lossTimer = null;
        for (const pending of this.#pending.values()) pending.push({ part: 'bus_lost' });
      }, graceMs);
      this.#lossTimer.unref();
    });
  }

  /** Opens the inbox of one request; `close()` it when the request is done. */
  open(): PendingReply {
    const token = (this.#counter++).toString(36);
    const pending = new PendingReply(`${this.#prefix}.${token}`, () => this.#pending.delete(token));
    this.#pending.set(token, pending);
    return pending;
  }

  async #dispatch(): Promise<void> {
    for await (const msg of this.#sub) {
      const token = msg.subject.slice(this.#prefix.length + 1);
      const pending = this.#pending.get(token);
      if (!pending) continue; // a late reply to a request that already ended
      if (isNoResponders(msg)) {
        pending.push({ part: 'no_responders' });
        continue;
      }
      try {
        pending.push(readReply(msg));
      } catch (error) {
        pending.push({ part: 'malformed', reason: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}

/** An async queue of the messages for one request. */
export class PendingReply {
  readonly subject: string;
  readonly #onClose: () => void;
  readonly #queue: InboxEvent[] = [];
  #waiter: ((event: InboxEvent) => void) | null = null;
  #closed = false;

  constructor(subject: string, onClose: () => void) {
    this.subject = subject;
    this.#onClose = onClose;
  }

  push(event: InboxEvent): void {
    if (this.#closed) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = null;
      waiter(event);
    } else {
      this.#queue.push(event);
    }
  }

  /** The next message, or `{ part: 'timeout' }` when none comes within `timeoutMs`. */
  next(timeoutMs: number): Promise<InboxEvent> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = null;
        resolve({ part: 'timeout' });
      }, timeoutMs);
      this.#waiter = (event) => {
        clearTimeout(timer);
        resolve(event);
      };
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    this.#onClose();
  }
}
