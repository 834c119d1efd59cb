import type { Msg, NatsConnection, Subscription } from 'nats';
import { decodeJson } from '@switchyard/bus';
import { KeysCall, QueueGroups, type BusNames, type KeysReply } from '@switchyard/contracts';
import { migrateToLatest, type Database, type Kysely } from '@switchyard/db';
import { Counter, type Logger, type Registry } from '@switchyard/telemetry';
import { blockKey, deleteKeys, generateKey, keyInfo, listKeys, updateKey, type Outcome } from './key-handlers.js';
import { keyRecordOf, teamRecordOf } from './litellm-shapes.js';
import { createRecordsPublisher } from './records-publisher.js';
import { allRecords, ManagementError } from './store.js';
import { blockTeam, deleteTeams, listTeams, newTeam, teamInfo, updateTeam } from './team-handlers.js';

export interface KeysDeps {
  nc: NatsConnection;
  names: BusNames;
  db: Kysely<Database>;
  logger: Logger;
  registry: Registry;
  /** Size limit of a new records bucket (general_settings.keys_max_bytes, default 64 MiB): what bounds every ingress replica's copy. */
  bucketMaxBytes?: number;
  /** How soon records that could not be published are published again (default 2 s). */
  resyncMs?: number;
}

export interface KeysService {
  start(): Promise<void>;
  stop(): Promise<void>;
}

type Handler = (db: Kysely<Database>, call: never) => Promise<Outcome>;

/** One handler per management call. */
const HANDLERS: Record<KeysCall['op'], Handler> = {
  'key.generate': generateKey,
  'key.update': updateKey,
  'key.delete': deleteKeys,
  'key.info': keyInfo,
  'key.list': listKeys,
  'key.block': blockKey,
  'team.new': newTeam,
  'team.update': updateTeam,
  'team.delete': deleteTeams,
  'team.info': teamInfo,
  'team.list': listTeams,
  'team.block': blockTeam,
};

const DEFAULT_BUCKET_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The keys service: owns the key and team tables, answers LiteLLM's
 * management calls over NATS request-reply, and publishes every record
 * (hashes only) to the KV bucket the ingress replicas authenticate from.
 * Postgres is never on the request path: only here.
 */
export function createKeysService(deps: KeysDeps): KeysService {
  const { nc, names, db, logger } = deps;
  const calls = new Counter({
    name: 'switchyard_keys_calls_total',
    help: 'Management calls on virtual keys and teams, by operation and outcome',
    labelNames: ['op', 'outcome'],
    registers: [deps.registry],
  });
  const publishFailures = new Counter({
    name: 'switchyard_keys_publish_failures_total',
    help: 'Times key and team records could not be published to the KV bucket (they are published again)',
    registers: [deps.registry],
  });
  const publisher = createRecordsPublisher({ nc, bucket: names.keysBucket, maxBytes: deps.bucketMaxBytes ?? DEFAULT_BUCKET_MAX_BYTES, logger });
  const resyncMs = deps.resyncMs ?? 2_000;
  const inFlight = new Set<Promise<void>>();
  let subscription: Subscription | null = null;
  let loop: Promise<void> | null = null;
  let resyncTimer: NodeJS.Timeout | null = null;
  let stopping = false;

  /** Everything in Postgres to the bucket; what is no longer there leaves it. */
  async function reconcile(): Promise<void> {
    const { keys, teams } = await allRecords(db);
    await publisher.reconcile(keys.map(keyRecordOf), teams.map(teamRecordOf));
  }

  /** A record that did not reach the bucket would leave a deleted or blocked key usable: it is published again until it is. */
  function scheduleResync(): void {
    if (resyncTimer || stopping) return;
    resyncTimer = setTimeout(() => {
      resyncTimer = null;
      reconcile().catch((error: unknown) => {
        publishFailures.inc();
        logger.warn({ err: error }, 'key and team records still not published: trying again');
        scheduleResync();
      });
    }, resyncMs);
    resyncTimer.unref();
  }

  async function answer(msg: Msg): Promise<void> {
    const parsed = KeysCall.safeParse(decodeJson(msg.data));
    let reply: KeysReply;
    let op = 'unknown';
    if (!parsed.success) {
      reply = { ok: false, status: 400, message: `Invalid management call: ${parsed.error.issues[0]?.message ?? 'unreadable'}`, type: 'bad_request_error', param: null };
    } else {
      op = parsed.data.op;
      reply = await run(parsed.data);
    }
    calls.inc({ op, outcome: reply.ok ? 'ok' : String(reply.status) });
    logger.debug({ op, ok: reply.ok, status: reply.ok ? 200 : reply.status }, 'management call answered');
    msg.respond(JSON.stringify(reply));
  }

  async function run(call: KeysCall): Promise<KeysReply> {
    let outcome: Outcome;
    try {
      outcome = await (HANDLERS[call.op] as (db: Kysely<Database>, call: KeysCall) => Promise<Outcome>)(db, call);
    } catch (error) {
      if (error instanceof ManagementError) return { ok: false, status: error.status, message: error.message, type: error.type, param: error.param };
      logger.error({ err: error, op: call.op }, 'management call failed');
      return { ok: false, status: 503, message: 'The keys service could not reach its database; nothing was changed.', type: 'internal_server_error', param: null };
    }
    if (outcome.changes.length > 0) {
      try {
        await publisher.publish(outcome.changes);
      } catch (error) {
        publishFailures.inc();
        logger.warn({ err: error, op: call.op }, 'saved, but not yet published to the ingress replicas: publishing again shortly');
        scheduleResync();
      }
    }
    return { ok: true, body: outcome.body };
  }

  return {
    async start() {
      const applied = await migrateToLatest(db);
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
      await reconcile();
      subscription = nc.subscribe(names.subjects.keys, { queue: QueueGroups.keys });
      const sub = subscription;
      loop = (async () => {
        for await (const msg of sub) {
          const task = answer(msg).catch((error: unknown) => logger.error({ err: error }, 'management call not answered'));
          inFlight.add(task);
          void task.finally(() => inFlight.delete(task));
        }
      })();
      logger.info({ subject: names.subjects.keys, bucket: names.keysBucket }, 'keys service answering management calls');
    },
    async stop() {
      stopping = true;
      if (resyncTimer) clearTimeout(resyncTimer);
      await subscription?.drain();
      await loop;
      await Promise.allSettled([...inFlight]);
    },
  };
}
