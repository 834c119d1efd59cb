import type { NatsConnection, ObjectStore } from 'nats';
import { maxPayloadOf } from './connection.js';

/** How long an unclaimed oversized body is kept: longer than any call may wait. */
const BODY_TTL_NS = 30 * 60 * 1_000_000_000;

/**
 * Request bodies too large for one NATS message (a many-message chat) go to a
 * JetStream object store; the envelope carries the key. The ingress
 * deletes the body when its request ends; the TTL clears what a crash leaves behind.
 */
export class BodyStore {
  readonly #nc: NatsConnection;
  readonly #bucket: string;
  #store: Promise<ObjectStore> | null = null;

  constructor(nc: NatsConnection, bucket: string) {
    this.#nc = nc;
    this.#bucket = bucket;
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

  #open(): Promise<ObjectStore> {
    this.#store ??= this.#nc
      .jetstream()
      .views.os(this.#bucket, { ttl: BODY_TTL_NS })
      .catch((error: unknown) => {
        this.#store = null;
        throw error;
      });
    return this.#store;
  }
}
