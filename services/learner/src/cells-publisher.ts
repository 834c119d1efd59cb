import type { KV, KvEntry, NatsConnection } from 'nats';
import { cellKey, CellEvidence } from '@switchyard/contracts';
import type { Database, Kysely } from '@switchyard/db';
import type { Counter, Logger } from '@switchyard/telemetry';
import { withTeachers } from './cell-teachers.js';
import { cellEvidenceOf } from './turn-batch.js';

export interface CellsPublisher {
  /**
   * Writes each cell to the KV bucket unless the bucket already holds the
   * same or a newer version of it. Never throws: a failure is logged and
   * counted, and the cell is published again with its next change or at the
   * next start. Resolves with the number of cells that failed.
   */
  publish(cells: readonly CellEvidence[]): Promise<number>;
  /** Publishes every cell in Postgres (at start: the KV may have been wiped). */
  publishAll(db: Kysely<Database>): Promise<number>;
}

/** JetStream's "wrong last sequence": another writer updated the key since we read it. */
const WRONG_LAST_SEQUENCE = 10071;
/** Compare-and-set rounds per cell before giving up (each lost round means a concurrent writer). */
const MAX_ATTEMPTS = 10;
/** Keys written at once. */
const CONCURRENCY = 32;

/**
 * Publishes learned cells to the NATS KV bucket every ingress replica
 * watches. Several learner replicas publish concurrently and a batch
 * committed earlier may publish later, so each write is a compare-and-set
 * that keeps the higher `version`: the bucket never goes back to an older value.
 */
export function createCellsPublisher(options: { nc: NatsConnection; bucket: string; logger: Logger; failures: Counter }): CellsPublisher {
  const { nc, bucket, logger, failures } = options;
  let kv: Promise<KV> | null = null;
  // Opened lazily and reopened after a failure, which recreates a bucket that was deleted.
  const open = (): Promise<KV> => (kv ??= nc.jetstream().views.kv(bucket, { history: 1 }));

  const publish = async (cells: readonly CellEvidence[]): Promise<number> => {
    let failed = 0;
    for (let start = 0; start < cells.length; start += CONCURRENCY) {
      const chunk = cells.slice(start, start + CONCURRENCY);
      const results = await Promise.allSettled(chunk.map(async (cell) => writeIfNewer(await open(), cell)));
      results.forEach((result, index) => {
        if (result.status === 'fulfilled') return;
        failed += 1;
        const cell = chunk[index];
        logger.warn({ err: result.reason, bucket, router: cell?.router, requestType: cell?.requestType, model: cell?.model }, 'cell not published to KV');
      });
    }
    if (failed > 0) {
      failures.inc(failed);
      kv = null;
    }
    return failed;
  };

  return {
    publish,
    async publishAll(db) {
      const rows = await db
        .selectFrom('bandit_cells')
        .select(['router', 'request_type', 'model', 'alpha', 'beta', 'samples', 'version', 'explicit_alpha', 'explicit_beta'])
        .orderBy('router')
        .orderBy('request_type')
        .orderBy('model')
        .execute();
      const cells = await withTeachers(db, rows.map(cellEvidenceOf));
      const failed = await publish(cells);
      logger.info({ bucket, cells: cells.length, failed }, 'published the persisted cells to KV');
      return failed;
    },
  };
}

async function writeIfNewer(kv: KV, cell: CellEvidence): Promise<void> {
  const key = cellKey(cell.router, cell.requestType, cell.model);
  const value = JSON.stringify(cell);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const entry = await kv.get(key);
    if (entry !== null && (versionOf(entry) ?? -1) >= cell.version) return;
    try {
      // A deleted key keeps a marker with a revision: update from it like from a value.
      if (entry === null) await kv.create(key, value);
      else await kv.update(key, value, entry.revision);
      return;
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error;
    }
  }
  throw new Error(`cell ${key}: lost ${MAX_ATTEMPTS} compare-and-set rounds`);
}

/** The version of a KV entry's cell; null for a delete marker or a value that is not a cell. */
function versionOf(entry: KvEntry): number | null {
  if (entry.operation !== 'PUT') return null;
  try {
    const parsed = CellEvidence.safeParse(entry.json());
    return parsed.success ? parsed.data.version : null;
  } catch {
    return null;
  }
}

function isWrongLastSequence(error: unknown): boolean {
  return (error as { api_error?: { err_code?: number } } | null)?.api_error?.err_code === WRONG_LAST_SEQUENCE;
}
