import type { Database, Kysely, Updateable } from '@switchyard/db';
import type { KeysCall } from '@switchyard/contracts';
import { durationMs } from '@switchyard/virtual-keys';

import { keyObjectOf, keyRecordOf, type KeyRow } from './litellm-shapes.js';
import type { RecordChange } from './records-publisher.js';
import { badRequest, isUniqueViolation, keyByAlias, keyByHash, nextVersion, notFound, teamById, type Db, type ManagementError } from './store.js';

export interface Outcome {
  body: unknown;
  changes: RecordChange[];
}

type Call<Op extends KeysCall['op']> = Extract<KeysCall, { op: Op }>;

function expiresAtOf(duration: string | null | undefined): Date | null {
  if (!duration) return null;
  return new Date(Date.now() + (durationMs(duration) ?? 0));
}

async function requireTeam(db: Db, teamId: string): Promise<void> {
  if (!(await teamById(db, teamId))) {
    throw badRequest(`Team doesn't exist in db. Team=${teamId}. Create team via \`/team/new\` call.`, 'team_id');
  }
}

function aliasTaken(alias: string): ManagementError {
  return badRequest(`Unique key aliases across all keys are required. Key alias=${alias} already exists.`, 'key_alias');
}

const changed = (row: KeyRow): RecordChange => ({ kind: 'key', record: keyRecordOf(row) });

export async function generateKey(db: Kysely<Database>, call: Call<'key.generate'>): Promise<Outcome> {
  const { body } = call;
  if (body.team_id) await requireTeam(db, body.team_id);
  if (body.key_alias && (await keyByAlias(db, body.key_alias))) throw aliasTaken(body.key_alias);
  let row: KeyRow;
  try {
    row = await db
      .insertInto('virtual_keys')
      .values({
        key_hash: call.keyHash,
        key_name: call.keyName,
        key_alias: body.key_alias ?? null,
        team_id: body.team_id ?? null,
        user_id: body.user_id ?? null,
        models: JSON.stringify(body.models ?? []),
        max_budget: body.max_budget ?? null,
        budget_duration: body.budget_duration ?? null,
        rpm_limit: body.rpm_limit ?? null,
        tpm_limit: body.tpm_limit ?? null,
        max_parallel_requests: body.max_parallel_requests ?? null,
        metadata: JSON.stringify(body.metadata ?? {}),
        expires_at: expiresAtOf(body.duration),
        blocked: body.blocked ?? false,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error, 'virtual_keys_pkey')) throw badRequest('Key already exists. Choose another custom key, or let the proxy generate one.', 'key');
    if (isUniqueViolation(error) && body.key_alias) throw aliasTaken(body.key_alias);
    throw error;
  }
  const object = keyObjectOf(row, true);
  return {
    body: { ...object, token_id: row.key_hash, key_type: 'default', organization_id: null, created_by: null, updated_by: null },
    changes: [changed(row)],
  };
}

export async function updateKey(db: Kysely<Database>, call: Call<'key.update'>): Promise<Outcome> {
  const { body, ref } = call;
  const current = ref.keyHash !== null ? await keyByHash(db, ref.keyHash) : ref.keyAlias !== null ? await keyByAlias(db, ref.keyAlias) : undefined;
  if (!current) throw notFound('Key not found', 'key');
  if (body.team_id) await requireTeam(db, body.team_id);
  if (body.key_alias && body.key_alias !== current.key_alias && (await keyByAlias(db, body.key_alias))) throw aliasTaken(body.key_alias);
  // LiteLLM's rule: a field left out or null keeps its value.
  const patch: Updateable<Database['virtual_keys']> = {};
  if (body.key_alias != null) patch.key_alias = body.key_alias;
  if (body.team_id != null) patch.team_id = body.team_id;
  if (body.user_id != null) patch.user_id = body.user_id;
  if (body.models != null) patch.models = JSON.stringify(body.models);
  if (body.max_budget != null) patch.max_budget = body.max_budget;
  if (body.budget_duration != null) patch.budget_duration = body.budget_duration;
  if (body.rpm_limit != null) patch.rpm_limit = body.rpm_limit;
  if (body.tpm_limit != null) patch.tpm_limit = body.tpm_limit;
  if (body.max_parallel_requests != null) patch.max_parallel_requests = body.max_parallel_requests;
  if (body.metadata != null) patch.metadata = JSON.stringify(body.metadata);
  if (body.blocked != null) patch.blocked = body.blocked;
  if (body.duration != null) patch.expires_at = expiresAtOf(body.duration);
  let row: KeyRow;
  try {
    row = await db
      .updateTable('virtual_keys')
      .set({ ...patch, updated_at: new Date(), version: nextVersion })
      .where('key_hash', '=', current.key_hash)
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error) && body.key_alias) throw aliasTaken(body.key_alias);
    throw error;
  }
  return { body: keyObjectOf(row, true), changes: [changed(row)] };
}

export async function deleteKeys(db: Kysely<Database>, call: Call<'key.delete'>): Promise<Outcome> {
  const wanted = new Set([...call.keyHashes, ...call.keyAliases]);
  if (wanted.size === 0) throw badRequest("At least one of 'keys' or 'key_aliases' must be provided.", 'keys');
  const deleted = await db.transaction().execute(async (trx) => {
    const rows = await trx
      .deleteFrom('virtual_keys')
      .where((eb) =>
        eb.or([
          ...(call.keyHashes.length > 0 ? [eb('key_hash', 'in', call.keyHashes)] : []),
          ...(call.keyAliases.length > 0 ? [eb('key_alias', 'in', call.keyAliases)] : []),
        ]),
      )
      .returning(['key_hash', 'key_alias'])
      .execute();
    const found = new Set(rows.flatMap((row) => [row.key_hash, ...(row.key_alias ? [row.key_alias] : [])]));
    const missing = [...wanted].filter((name) => !found.has(name));
    // All or nothing: a list with a key that is not there deletes none of them.
    if (missing.length > 0) {
      throw notFound(`Not all keys passed in were deleted. This probably means you don't have access to delete all the keys passed in. Keys passed in=${wanted.size}, Deleted keys =${wanted.size - missing.length}`, 'keys');
    }
    return rows;
  });
  return {
    body: { deleted_keys: deleted.map((row) => row.key_hash) },
    changes: deleted.map((row) => ({ kind: 'delete-key', keyHash: row.key_hash })),
  };
}

export async function keyInfo(db: Kysely<Database>, call: Call<'key.info'>): Promise<Outcome> {
  const row = await keyByHash(db, call.keyHash);
  if (!row) throw notFound('Key not found in database', 'key');
  return { body: { info: keyObjectOf(row, false) }, changes: [] };
}

export async function listKeys(db: Kysely<Database>, call: Call<'key.list'>): Promise<Outcome> {
  let query = db.selectFrom('virtual_keys');
  if (call.teamId !== null) query = query.where('team_id', '=', call.teamId);
  if (call.userId !== null) query = query.where('user_id', '=', call.userId);
  if (call.keyAlias !== null) query = query.where('key_alias', '=', call.keyAlias);
  const { total } = await query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await query
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('key_hash')
    .limit(call.size)
    .offset((call.page - 1) * call.size)
    .execute();
  const count = Number(total);
  return {
    body: {
      keys: call.fullObjects ? rows.map((row) => keyObjectOf(row, true)) : rows.map((row) => row.key_hash),
      total_count: count,
      current_page: call.page,
      total_pages: Math.max(1, Math.ceil(count / call.size)),
    },
    changes: [],
  };
}

export async function blockKey(db: Kysely<Database>, call: Call<'key.block'>): Promise<Outcome> {
  const row = await db
    .updateTable('virtual_keys')
    .set({ blocked: call.blocked, updated_at: new Date(), version: nextVersion })
    .where('key_hash', '=', call.keyHash)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('Key not found', 'key');
  return { body: keyObjectOf(row, true), changes: [changed(row)] };
}
