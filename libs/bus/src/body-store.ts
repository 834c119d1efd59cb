import { nanos, type NatsConnection, type ObjectStore } from 'nats';
import { maxPayloadOf } from './connection.js';
import { applyStreamLimits, type StreamLimits } from './streams.js';

/**
 * How long an unclaimed body is kept when the opener is not given the limits
 * (libs/config's default: 15 min, longer than a call and one retry's wait).
 * The byte limit comes only with the configured limits (the ingress): see
 * DEFAULT_EVENTS_MAX_AGE_MS. A full store refuses new bodies rather than
 * dropping ones in use.
 */
export const DEFAULT_BODY_MAX_AGE_MS = 15 * 60 * 1000;

/**
 * Request bodies too large for one NATS message (a many-message chat) go to a
 * JetStream object store; the envelope carries the key. The ingress
 * deletes the body when its request ends; the TTL clears what a crash leaves behind.
 */
export class BodyStore {
  readonly #nc: NatsConnection;
  readonly #bucket: string;
  readonly #limits: StreamLimits | undefined;
  #store: Promise<ObjectStore> | null = null;

  /** With `limits` (the ingress passes the configured ones) an existing store is brought to them when opened. */
  constructor(nc: NatsConnection, bucket: string, limits?: StreamLimits) {
    this.#nc = nc;
    this.#bucket = bucket;
    this.#limits = limits;
  }

  /** The largest body that travels inline in a message. */
  inlineLimit(): number {
    return maxPayloadOf(this.#nc) - 64 * 1024;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const store = await this.#open();
    await store.putBlob({ name: key }, body);
  }

  async get(key: string): Promise<Uint8Array> {
    const store = await this.#open();
    const body = await store.getBlob(key);
    if (!body) throw new Error(`request body ${key} is not in the body store (expired?)`);
    return body;
  }

  /** The ingress deletes a body when its request ends (a retry may read it again before). */
  async delete(key: string): Promise<void> {
    const store = await this.#open();
    await store.delete(key).catch(() => undefined);
  }

  /**
   * Brings an existing store to the configured limits (a store that does not
   * exist yet gets them when the first body creates it: creating it now would
   * reserve its bytes on a NATS that may never need it).
   */
  async applyLimits(): Promise<void> {
    if (!this.#limits) return;
    const jsm = await this.#nc.jetstreamManager();
    const info = await jsm.streams.info(`OBJ_${this.#bucket}`).catch(() => null);
    if (info !== null) await applyStreamLimits(jsm, info, this.#limits);
  }

  #open(): Promise<ObjectStore> {
    const ttl = nanos(this.#limits?.maxAgeMs ?? DEFAULT_BODY_MAX_AGE_MS);
    this.#store ??= this.#nc
      .jetstream()
      .views.os(this.#bucket, this.#limits ? { ttl, max_bytes: this.#limits.maxBytes } : { ttl })
      .then(async (store) => {
        if (this.#limits) {
          const jsm = await this.#nc.jetstreamManager();
          await applyStreamLimits(jsm, await jsm.streams.info(`OBJ_${this.#bucket}`), this.#limits);
        }
        return store;
      })
      .catch((error: unknown) => {
        this.#store = null;
        throw error;
      });
    return this.#store;
  }
}
