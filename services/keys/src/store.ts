import { sql, type Database, type Kysely, type Transaction } from '@switchyard/db';
import type { KeyRow, TeamRow } from './litellm-shapes.js';

/** A management call that cannot be carried out as asked: LiteLLM's status, message and type. */
export class ManagementError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, param: string | null = null) => new ManagementError(400, message, 'bad_request_error', param);
export const notFound = (message: string, param: string | null = null) => new ManagementError(404, message, 'not_found_error', param);

const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pgError = error as { code?: string; constraint?: string } | null;
  return pgError?.code === UNIQUE_VIOLATION && (constraint === undefined || pgError.constraint === constraint);
}

export type Db = Kysely<Database> | Transaction<Database>;

/** Every change takes the next version from one sequence: replicas keep the newest record they see. */
export const nextVersion = sql<number>`nextval('key_record_versions')`;

export async function keyByHash(db: Db, keyHash: string): Promise<KeyRow | undefined> {
  return db.selectFrom('virtual_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
}

export async function keyByAlias(db: Db, keyAlias: string): Promise<KeyRow | undefined> {
  return db.selectFrom('virtual_keys').selectAll().where('key_alias', '=', keyAlias).executeTakeFirst();
}

export async function teamById(db: Db, teamId: string): Promise<TeamRow | undefined> {
  return db.selectFrom('key_teams').selectAll().where('team_id', '=', teamId).executeTakeFirst();
}

export async function keysOfTeams(db: Db, teamIds: readonly string[]): Promise<KeyRow[]> {
  if (teamIds.length === 0) return [];
  return db.selectFrom('virtual_keys').selectAll().where('team_id', 'in', teamIds).orderBy('created_at').execute();
}

export async function allRecords(db: Db): Promise<{ keys: KeyRow[]; teams: TeamRow[] }> {
  const [keys, teams] = await Promise.all([
    db.selectFrom('virtual_keys').selectAll().orderBy('key_hash').execute(),
    db.selectFrom('key_teams').selectAll().orderBy('team_id').execute(),
  ]);
  return { keys, teams };
}
