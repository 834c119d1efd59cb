import type { KV, NatsConnection } from 'nats';
import { StoredResponseOwner } from '@switchyard/contracts';
import { decodeJson } from './codec.js';

/** OpenAI keeps a stored response 30 days; the gateway remembers where it is as long. */
export const RESPONSE_OWNERS_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * Bounded, as the cells bucket is: an entry is ~200 bytes, so this holds
 * ~300,000 stored responses at a time. When it is full a new entry is
 * refused (logged by the upstream-caller) and that response cannot be
 * retrieved through the gateway; the response itself is still delivered.
 */
const RESPONSE_OWNERS_MAX_BYTES = 64 * 1024 * 1024;

const RESPONSE_ID = /^[A-Za-z0-9_-]{1,200}$/;

/** Whether a string can be a response id (and so a KV key): anything else is unknown by construction. */
export const isResponseId = (id: string): boolean => RESPONSE_ID.test(id);

/**
 * Response id -> the deployment that stores it and the caller who made it,
 * in a NATS KV bucket every ingress replica reads (the upstream-caller
 * writes an entry when a provider reports a stored response, before the
 * client sees its id). Opened on first use: a bus that is down at start
 * costs the Responses routes only.
 */
export class ResponseOwners {
  readonly #nc: NatsConnection;
  readonly #bucket: string;
  #kv: Promise<KV> | null = null;

  constructor(nc: NatsConnection, bucket: string) {
    this.#nc = nc;
    this.#bucket = bucket;
  }

  #open(): Promise<KV> {
    this.#kv ??= this.#nc
      .jetstream()
      .views.kv(this.#bucket, { history: 1, ttl: RESPONSE_OWNERS_TTL_MS, max_bytes: RESPONSE_OWNERS_MAX_BYTES })
      .catch((error: unknown) => {
        this.#kv = null;
        throw error;
      });
    return this.#kv;
  }

  async record(responseId: string, owner: StoredResponseOwner): Promise<void> {
    if (!isResponseId(responseId)) return;
    const kv = await this.#open();
    await kv.put(responseId, JSON.stringify(owner));
  }

  /** The owner of a response, or null for an id the gateway never recorded (or whose entry expired). */
  async lookup(responseId: string): Promise<StoredResponseOwner | null> {
    if (!isResponseId(responseId)) return null;
    const kv = await this.#open();
    const entry = await kv.get(responseId);
    if (entry === null || entry.operation !== 'PUT') return null;
    const parsed = StoredResponseOwner.safeParse(decodeJson(entry.value));
    return parsed.success ? parsed.data : null;
  }

  async forget(responseId: string): Promise<void> {
    if (!isResponseId(responseId)) return;
    const kv = await this.#open();
    await kv.delete(responseId);
  }
}
