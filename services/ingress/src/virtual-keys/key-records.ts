import type { KvEntry, NatsConnection, QueuedIterator } from 'nats';
import { decodeJson } from '@switchyard/bus';
import { KeyRecord, TeamRecord } from '@switchyard/contracts';
import type { Logger } from '@switchyard/telemetry';

/** Wait before watching the bucket again after the watch failed (NATS away, bucket gone). */
const REWATCH_MS = 1_000;
/** How long close() waits for the watch loop to end. */
const CLOSE_WAIT_MS = 500;

interface Snapshot {
  keys: Map<string, KeyRecord>;
  teams: Map<string, TeamRecord>;
}

/**
 * Every virtual key and team record, in memory, kept fresh by watching the
 * KV bucket the keys service publishes to: authenticating a key is a hash
 * lookup, never a database read. The size is bounded by the bucket's. While
 * NATS is away the last records stand; a watch that ends is opened again and
 * its full initial state replaces the old one at once (so a delete missed
 * meanwhile is not kept).
 */
export class KeyRecords {
  #live: Snapshot = { keys: new Map(), teams: new Map() };
  #loaded = false;
  #closed = false;
  #watch: QueuedIterator<KvEntry> | null = null;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #rewatchNow = false;
  readonly #whenLoaded: Promise<void>;
  #markLoaded!: () => void;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly bucket: string,
    private readonly maxBytes: number,
    private readonly logger: Logger,
  ) {
    this.#whenLoaded = new Promise((resolve) => (this.#markLoaded = resolve));
  }

  /** Starts watching; does not wait for the first load (see `loaded`, `whenLoaded`). */
  static watch(options: { nc: NatsConnection; bucket: string; maxBytes: number; logger: Logger }): KeyRecords {
    const records = new KeyRecords(options.nc, options.bucket, options.maxBytes, options.logger);
    records.#loop = records.#run();
    // Ends with the connection (drained after close()).
    void records.#watchConnection().catch((error: unknown) => options.logger.warn({ err: error }, 'NATS status of the key records watch unreadable'));
    return records;
  }

  /** True once the bucket's state was loaded the first time: /readyz waits for it. */
  get loaded(): boolean {
    return this.#loaded;
  }

  whenLoaded(): Promise<void> {
    return this.#whenLoaded;
  }

  key(keyHash: string): KeyRecord | undefined {
    return this.#live.keys.get(keyHash);
  }

  team(teamId: string): TeamRecord | undefined {
    return this.#live.teams.get(teamId);
  }

  get size(): { keys: number; teams: number } {
    return { keys: this.#live.keys.size, teams: this.#live.teams.size };
  }

  /** Stops watching. A watch still being opened against an unreachable NATS is not waited for: it ends on its own. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#watch?.stop();
    this.#wake?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#loop, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /**
   * After a reconnect the watch starts over: its consumer may have died with
   * the server, and an ordered consumer can take many seconds to notice. Until
   * the new watch has loaded the bucket whole, the last records stand.
   */
  async #watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (this.#closed) return;
      if (status.type !== 'reconnect') continue;
      this.logger.info({ bucket: this.bucket }, 'NATS reconnected: watching the key records again');
      this.#rewatchNow = true;
      this.#watch?.stop();
      this.#wake?.();
    }
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      try {
        await this.#watchOnce();
      } catch (error) {
        if (!this.#closed) this.logger.warn({ err: error, bucket: this.bucket }, 'key records watch failed: the last records stand, watching again');
      }
      if (this.#closed) return;
      const delay = this.#rewatchNow ? 0 : REWATCH_MS;
      this.#rewatchNow = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async #watchOnce(): Promise<void> {
    const kv = await this.nc.jetstream().views.kv(this.bucket, { history: 1, max_bytes: this.maxBytes });
    // The initial state is collected apart and replaces the live one whole when it is complete.
    const target: Snapshot = { keys: new Map(), teams: new Map() };
    let initialized = false;
    let consumed = 0;
    let swapAfter: number | null = null;
    const swap = () => {
      if (initialized) return;
      initialized = true;
      this.#live = target;
      if (!this.#loaded) {
        this.#loaded = true;
        this.#markLoaded();
      }
      this.logger.info({ bucket: this.bucket, keys: target.keys.size, teams: target.teams.size }, 'key records loaded');
    };
    let signalled = false;
    let returned = false;
    const watch = await kv.watch({
      initializedFn: () => {
        signalled = true;
        // From the queue, in order after the initial entries; or before watch() returned (see below).
        if (returned) swap();
      },
    });
    returned = true;
    this.#watch = watch;
    if (this.#closed) watch.stop();
    // nats.js may signal "initialized" before the queued initial entries are read: swap after reading those.
    if (signalled) {
      swapAfter = (watch as unknown as { received?: number }).received ?? 0;
      if (swapAfter === 0) swap();
    }
    for await (const entry of watch) {
      this.#apply(target, entry);
      consumed += 1;
      if (!initialized && swapAfter !== null && consumed >= swapAfter) swap();
    }
  }

  #apply(snapshot: Snapshot, entry: KvEntry): void {
    const isKey = entry.key.startsWith('key.');
    if (entry.operation !== 'PUT') {
      if (isKey) snapshot.keys.delete(entry.key.slice(4));
      else if (entry.key.startsWith('team.')) snapshot.teams.delete(Buffer.from(entry.key.slice(5), 'base64url').toString('utf8'));
      return;
    }
    const value = decodeJson(entry.value);
    if (isKey) {
      const parsed = KeyRecord.safeParse(value);
      if (!parsed.success) return this.#malformed(entry.key);
      const current = snapshot.keys.get(parsed.data.keyHash);
      if (!current || current.version <= parsed.data.version) snapshot.keys.set(parsed.data.keyHash, parsed.data);
    } else {
      const parsed = TeamRecord.safeParse(value);
      if (!parsed.success) return this.#malformed(entry.key);
      const current = snapshot.teams.get(parsed.data.teamId);
      if (!current || current.version <= parsed.data.version) snapshot.teams.set(parsed.data.teamId, parsed.data);
    }
  }

  #malformed(key: string): void {
    this.logger.warn({ key, bucket: this.bucket }, 'ignoring a malformed key record in the KV bucket');
  }
}
