import type { KV, KvEntry, NatsConnection } from 'nats';
import { keyRecordKey, teamRecordKey, type KeyRecord, type TeamRecord } from '@switchyard/contracts';
import type { Logger } from '@switchyard/telemetry';

/** JetStream's "wrong last sequence": another writer changed the key since it was read. */
const WRONG_LAST_SEQUENCE = 10071;
const MAX_ATTEMPTS = 10;
const CONCURRENCY = 32;

export type RecordChange =
  | { kind: 'key'; record: KeyRecord }
  | { kind: 'team'; record: TeamRecord }
  | { kind: 'delete-key'; keyHash: string }
  | { kind: 'delete-team'; teamId: string };

export interface RecordsPublisher {
  /** Writes the changes to the KV bucket; throws when any could not be written (the caller resyncs). */
  publish(changes: readonly RecordChange[]): Promise<void>;
  /** Makes the bucket hold exactly these records: puts what is newer, deletes what is gone. */
  reconcile(keys: readonly KeyRecord[], teams: readonly TeamRecord[]): Promise<void>;
}

/**
 * Publishes key and team records (hashes, never keys) to the KV bucket every
 * ingress replica watches. Keys-service replicas may publish concurrently, so
 * each put is a compare-and-set that keeps the higher version.
 */
export function createRecordsPublisher(options: { nc: NatsConnection; bucket: string; maxBytes: number; logger: Logger }): RecordsPublisher {
  let kv: Promise<KV> | null = null;
  const open = (): Promise<KV> => (kv ??= options.nc.jetstream().views.kv(options.bucket, { history: 1, max_bytes: options.maxBytes }));

  const apply = async (change: RecordChange): Promise<void> => {
    const bucket = await open();
    switch (change.kind) {
      case 'key':
        return writeIfNewer(bucket, keyRecordKey(change.record.keyHash), change.record);
      case 'team':
        return writeIfNewer(bucket, teamRecordKey(change.record.teamId), change.record);
      case 'delete-key':
        return bucket.delete(keyRecordKey(change.keyHash));
      case 'delete-team':
        return bucket.delete(teamRecordKey(change.teamId));
    }
  };

  const publish = async (changes: readonly RecordChange[]): Promise<void> => {
    let failed = 0;
    let cause: unknown = null;
    for (let start = 0; start < changes.length; start += CONCURRENCY) {
      const results = await Promise.allSettled(changes.slice(start, start + CONCURRENCY).map(apply));
      for (const result of results) {
        if (result.status === 'rejected') {
          failed += 1;
          cause = result.reason;
        }
      }
    }
    if (failed > 0) {
      kv = null;
      throw new Error(`${failed} key/team records not published to KV bucket ${options.bucket}`, { cause });
    }
  };

  return {
    publish,
    async reconcile(keys, teams) {
      const bucket = await open();
      const wanted = new Set([...keys.map((key) => keyRecordKey(key.keyHash)), ...teams.map((team) => teamRecordKey(team.teamId))]);
      const stale: RecordChange[] = [];
      for await (const name of await bucket.keys()) {
        if (wanted.has(name)) continue;
        if (name.startsWith('key.')) stale.push({ kind: 'delete-key', keyHash: name.slice(4) });
        else if (name.startsWith('team.')) stale.push({ kind: 'delete-team', teamId: Buffer.from(name.slice(5), 'base64url').toString('utf8') });
      }
      await publish([...teams.map((record) => ({ kind: 'team', record }) as const), ...keys.map((record) => ({ kind: 'key', record }) as const), ...stale]);
      options.logger.info({ bucket: options.bucket, keys: keys.length, teams: teams.length, removed: stale.length }, 'key and team records published to KV');
    },
  };
}

async function writeIfNewer(kv: KV, name: string, record: { version: number }): Promise<void> {
  const value = JSON.stringify(record);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const entry = await kv.get(name);
    if (entry !== null && (versionOf(entry) ?? -1) >= record.version) return;
    try {
      if (entry === null) await kv.create(name, value);
      else await kv.update(name, value, entry.revision);
      return;
    } catch (error) {
      if ((error as { api_error?: { err_code?: number } } | null)?.api_error?.err_code !== WRONG_LAST_SEQUENCE) throw error;
    }
  }
  throw new Error(`record ${name}: lost ${MAX_ATTEMPTS} compare-and-set rounds`);
}

function versionOf(entry: KvEntry): number | null {
  if (entry.operation !== 'PUT') return null;
  try {
    const version = (entry.json() as { version?: unknown }).version;
    return typeof version === 'number' ? version : null;
  } catch {
    return null;
  }
}
