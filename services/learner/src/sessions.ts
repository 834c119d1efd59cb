import { sql, type Database, type Kysely } from '@switchyard/db';

/** Rows deleted per statement, so that a large backlog never holds many locks at once. */
const CHUNK = 5_000;

/**
 * Deletes the sessions no turn has touched for `ttlMs`, keeping Postgres
 * bounded. Rows a learner holds are skipped (SKIP LOCKED: the sweep never
 * waits on, nor deadlocks with, a batch) and such a row was just touched anyway.
 */
export async function expireSessions(db: Kysely<Database>, ttlMs: number): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await sql`
      delete from router_sessions
       where (router, session_key) in (
         select router, session_key from router_sessions
          where updated_at < now() - make_interval(secs => ${ttlMs / 1000}::double precision)
          limit ${CHUNK}
          for update skip locked)`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0n);
    total += deleted;
    if (deleted < CHUNK) return total;
  }
}

/**
 * Event ids only guard against redelivery, and JetStream keeps events for 7
 * days (the events stream's max age): ids older than that can never come back,
 * so they are deleted, in chunks, keeping the table bounded.
 */
export const PROCESSED_EVENT_RETENTION_MS = 8 * 24 * 3600 * 1000;

export async function expireProcessedEvents(db: Kysely<Database>, retentionMs = PROCESSED_EVENT_RETENTION_MS): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await sql`
      delete from processed_events
       where event_id in (
         select event_id from processed_events
          where processed_at < now() - make_interval(secs => ${retentionMs / 1000}::double precision)
          limit ${CHUNK})`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0n);
    total += deleted;
    if (deleted < CHUNK) return total;
  }
}

/**
 * Teacher counters only matter for their window (at most 7 days) and for the
 * state endpoint's recent view: rows of windows that started more than 8
 * days ago are deleted, in chunks, keeping the table bounded.
 */
export const TEACHER_EVIDENCE_RETENTION_MS = 8 * 24 * 3600 * 1000;

export async function expireTeacherEvidence(db: Kysely<Database>, retentionMs = TEACHER_EVIDENCE_RETENTION_MS): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await sql`
      delete from teacher_evidence
       where (router, request_type, model, teacher, window_start) in (
         select router, request_type, model, teacher, window_start from teacher_evidence
          where window_start < now() - make_interval(secs => ${retentionMs / 1000}::double precision)
          limit ${CHUNK}
          for update skip locked)`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0n);
    total += deleted;
    if (deleted < CHUNK) return total;
  }
}
