import type { NatsConnection, QueuedIterator, KvEntry } from 'nats';
import { decodeJson } from '@switchyard/bus';
import { CellEvidence, cellKey, type RequestType } from '@switchyard/contracts';
import type { Logger } from '@switchyard/telemetry';

/**
 * The learned bandit cells, in memory, kept fresh by watching the KV bucket
 * the learner publishes to: sampling reads memory, never the database. The
 * size is bounded by routers x request types x models, not by traffic.
 */
export class CellCache {
  readonly #cells = new Map<string, CellEvidence>();
  #watch: QueuedIterator<KvEntry> | null = null;
  #loop: Promise<void> | null = null;

  /** Opens the bucket and resolves once the current values are loaded. */
  static async open(nc: NatsConnection, bucket: string, logger: Logger): Promise<CellCache> {
    const cache = new CellCache();
    const kv = await nc.jetstream().views.kv(bucket, { history: 1 });
    let initialized!: () => void;
    const loaded = new Promise<void>((resolve) => (initialized = resolve));
    cache.#watch = await kv.watch({ initializedFn: () => initialized() });
    const watch = cache.#watch;
    cache.#loop = (async () => {
      for await (const entry of watch) {
        if (entry.operation !== 'PUT') {
          cache.#cells.delete(entry.key);
          continue;
        }
        const parsed = CellEvidence.safeParse(decodeJson(entry.value));
        if (!parsed.success) {
          logger.warn({ key: entry.key }, 'ignoring a malformed cell in the KV bucket');
          continue;
        }
        cache.apply(parsed.data);
      }
    })();
    await loaded;
    return cache;
  }

  /** Keeps the newest version of a cell: updates may arrive out of order from several learners. */
  apply(cell: CellEvidence): void {
    const key = cellKey(cell.router, cell.requestType, cell.model);
    const current = this.#cells.get(key);
    if (!current || current.version <= cell.version) this.#cells.set(key, cell);
  }

  evidence(router: string, requestType: RequestType, model: string): CellEvidence | undefined {
    return this.#cells.get(cellKey(router, requestType, model));
  }

  get size(): number {
    return this.#cells.size;
  }

  async close(): Promise<void> {
    this.#watch?.stop();
    await this.#loop;
  }
}
