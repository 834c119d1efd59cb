import { randomUUID } from 'node:crypto';
import type { Database, Kysely, Updateable } from '@switchyard/db';
import type { KeysCall } from '@switchyard/contracts';

import type { Outcome } from './key-handlers.js';
import { keyObjectOf, teamObjectOf, teamRecordOf, type TeamRow } from './litellm-shapes.js';
import type { RecordChange } from './records-publisher.js';
import { badRequest, isUniqueViolation, keysOfTeams, nextVersion, notFound, teamById } from './store.js';

type Call<Op extends KeysCall['op']> = Extract<KeysCall, { op: Op }>;

const changed = (row: TeamRow): RecordChange => ({ kind: 'team', record: teamRecordOf(row) });
const teamNotFound = (teamId: string) => notFound(`Team not found, passed team_id=${teamId}`, 'team_id');

export async function newTeam(db: Kysely<Database>, call: Call<'team.new'>): Promise<Outcome> {
  const { body } = call;
  const teamId = body.team_id ?? randomUUID();
  let row: TeamRow;
  try {
    row = await db
      .insertInto('key_teams')
      .values({
        team_id: teamId,
        team_alias: body.team_alias ?? null,
        models: JSON.stringify(body.models ?? []),
        max_budget: body.max_budget ?? null,
        budget_duration: body.budget_duration ?? null,
        rpm_limit: body.rpm_limit ?? null,
        tpm_limit: body.tpm_limit ?? null,
        max_parallel_requests: body.max_parallel_requests ?? null,
        metadata: JSON.stringify(body.metadata ?? {}),
        blocked: body.blocked ?? false,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) throw badRequest(`Team id = ${teamId} already exists. Please use a different team id.`, 'team_id');
    throw error;
  }
  return { body: teamObjectOf(row), changes: [changed(row)] };
}

export async function updateTeam(db: Kysely<Database>, call: Call<'team.update'>): Promise<Outcome> {
  const { body } = call;
  const patch: Updateable<Database['key_teams']> = {};
  if (body.team_alias != null) patch.team_alias = body.team_alias;
  if (body.models != null) patch.models = JSON.stringify(body.models);
  if (body.max_budget != null) patch.max_budget = body.max_budget;
  if (body.budget_duration != null) patch.budget_duration = body.budget_duration;
  if (body.rpm_limit != null) patch.rpm_limit = body.rpm_limit;
  if (body.tpm_limit != null) patch.tpm_limit = body.tpm_limit;
  if (body.max_parallel_requests != null) patch.max_parallel_requests = body.max_parallel_requests;
  if (body.metadata != null) patch.metadata = JSON.stringify(body.metadata);
  if (body.blocked != null) patch.blocked = body.blocked;
  const row = await db
    .updateTable('key_teams')
    .set({ ...patch, updated_at: new Date(), version: nextVersion })
    .where('team_id', '=', body.team_id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw teamNotFound(body.team_id);
  return { body: { team_id: row.team_id, data: teamObjectOf(row) }, changes: [changed(row)] };
}

/** Deletes the teams and, as LiteLLM does, their keys; all or nothing. */
export async function deleteTeams(db: Kysely<Database>, call: Call<'team.delete'>): Promise<Outcome> {
  const { keys } = await db.transaction().execute(async (trx) => {
    const keys = await keysOfTeams(trx, call.teamIds);
    const rows = await trx.deleteFrom('key_teams').where('team_id', 'in', call.teamIds).returning('team_id').execute();
    const found = new Set(rows.map((row) => row.team_id));
    const missing = call.teamIds.find((id) => !found.has(id));
    if (missing !== undefined) throw teamNotFound(missing);
    return { keys };
  });
  return {
    body: { deleted_teams: call.teamIds },
    changes: [
      ...keys.map((key): RecordChange => ({ kind: 'delete-key', keyHash: key.key_hash })),
      ...call.teamIds.map((teamId): RecordChange => ({ kind: 'delete-team', teamId })),
    ],
  };
}

export async function teamInfo(db: Kysely<Database>, call: Call<'team.info'>): Promise<Outcome> {
  const row = await teamById(db, call.teamId);
  if (!row) throw teamNotFound(call.teamId);
  const keys = await keysOfTeams(db, [row.team_id]);
  return {
    body: { team_id: row.team_id, team_info: teamObjectOf(row), keys: keys.map((key) => keyObjectOf(key, true)), team_memberships: [] },
    changes: [],
  };
}

export async function listTeams(db: Kysely<Database>, call: Call<'team.list'>): Promise<Outcome> {
  let query = db.selectFrom('key_teams').selectAll();
  // Without team members here, a user's teams are those its keys belong to.
  if (call.userId !== null) {
    const userId = call.userId;
    query = query.where('team_id', 'in', (eb) => eb.selectFrom('virtual_keys').select('team_id').where('user_id', '=', userId).where('team_id', 'is not', null).$narrowType<{ team_id: string }>());
  }
  const rows = await query.orderBy('created_at').execute();
  return { body: rows.map(teamObjectOf), changes: [] };
}

export async function blockTeam(db: Kysely<Database>, call: Call<'team.block'>): Promise<Outcome> {
  const row = await db
    .updateTable('key_teams')
    .set({ blocked: call.blocked, updated_at: new Date(), version: nextVersion })
    .where('team_id', '=', call.teamId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw teamNotFound(call.teamId);
  return { body: teamObjectOf(row), changes: [changed(row)] };
}
