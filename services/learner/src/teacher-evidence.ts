import { sql, type Database, type Transaction } from '@switchyard/db';

/** A judged turn's weighted deltas, before the teacher cap. */
export interface TeacherDelta {
  router: string;
  requestType: string;
  model: string;
  teacher: string;
  windowStart: Date;
  /** The cap of the event's router; null: none (the evidence is still recorded, by teacher). */
  cap: number | null;
  alpha: number;
  beta: number;
}

/**
 * Grants each (cell, teacher, window) at most its cap of evidence mass
 * (alpha + beta), in the batch's transaction, and returns the share of the
 * asked mass granted per group (1 below the cap, less at it, 0 past it).
 *
 * Like the sessions: missing rows are created, every row is locked in key
 * order (after the sessions, before the cells: one order in every learner),
 * then one UPDATE adds in SQL, `mass = least(cap, mass + asked)`. SET sees
 * the row as it was, so the same statement computes what it granted and
 * returns it: nothing is read, added in the service and written back. The
 * event-id claim of the same transaction keeps it exactly once.
 */
export async function grantTeacherEvidence(trx: Transaction<Database>, deltas: readonly TeacherDelta[]): Promise<Map<string, number>> {
  const groups = new Map<string, TeacherDelta>();
  for (const delta of deltas) {
    const key = teacherGroupKey(delta);
    const group = groups.get(key);
    if (group) {
      group.alpha += delta.alpha;
      group.beta += delta.beta;
    } else groups.set(key, { ...delta });
  }
  const sorted = [...groups.entries()].filter(([, group]) => group.alpha + group.beta > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const shares = new Map<string, number>();
  // Without a cap everything is granted: one additive upsert records it by teacher, no lock round trip.
  const uncapped = sorted.filter(([, group]) => group.cap === null);
  if (uncapped.length > 0) {
    await trx
      .insertInto('teacher_evidence')
      .values(
        uncapped.map(([, group]) => ({
          router: group.router,
          request_type: group.requestType,
          model: group.model,
          teacher: group.teacher,
          window_start: group.windowStart,
          mass: group.alpha + group.beta,
          alpha: group.alpha,
          beta: group.beta,
          last_accepted: group.alpha + group.beta,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['router', 'request_type', 'model', 'teacher', 'window_start']).doUpdateSet({
          mass: sql`teacher_evidence.mass + excluded.mass`,
          alpha: sql`teacher_evidence.alpha + excluded.alpha`,
          beta: sql`teacher_evidence.beta + excluded.beta`,
          last_accepted: sql`excluded.last_accepted`,
          updated_at: sql`now()`,
        }),
      )
      .execute();
    for (const [key] of uncapped) shares.set(key, 1);
  }
  const ordered = sorted.filter(([, group]) => group.cap !== null);
  if (ordered.length === 0) return shares;
  const keys = ordered.map(([, group]) => ({
    router: group.router,
    request_type: group.requestType,
    model: group.model,
    teacher: group.teacher,
    window_start: group.windowStart,
  }));
  await trx.insertInto('teacher_evidence').values(keys.map((key) => ({ ...key, mass: 0, alpha: 0, beta: 0, last_accepted: 0 }))).onConflict((oc) => oc.doNothing()).execute();
  await sql`
    select 1 from teacher_evidence
     where (router, request_type, model, teacher, window_start) in (${sql.join(keys.map((key) => sql`(${key.router}, ${key.request_type}, ${key.model}, ${key.teacher}, ${key.window_start.toISOString()}::timestamptz)`))})
     order by router, request_type, model, teacher, window_start
     for update`.execute(trx);
  const values = ordered.map(
    ([, group]) =>
      sql`(${group.router}::text, ${group.requestType}::text, ${group.model}::text, ${group.teacher}::text, ${group.windowStart.toISOString()}::timestamptz, ${group.alpha}::float8, ${group.beta}::float8, ${group.cap}::float8)`,
  );
  const granted = await sql<{ router: string; request_type: string; model: string; teacher: string; window_start: Date; last_accepted: number; asked: number }>`
    update teacher_evidence as t
       set last_accepted = greatest(0, least(v.cap, t.mass + v.alpha + v.beta) - t.mass),
           alpha = t.alpha + v.alpha * greatest(0, least(v.cap, t.mass + v.alpha + v.beta) - t.mass) / (v.alpha + v.beta),
           beta = t.beta + v.beta * greatest(0, least(v.cap, t.mass + v.alpha + v.beta) - t.mass) / (v.alpha + v.beta),
           mass = greatest(t.mass, least(v.cap, t.mass + v.alpha + v.beta)),
           updated_at = now()
      from (values ${sql.join(values)}) as v(router, request_type, model, teacher, window_start, alpha, beta, cap)
     where t.router = v.router and t.request_type = v.request_type and t.model = v.model and t.teacher = v.teacher and t.window_start = v.window_start
    returning t.router, t.request_type, t.model, t.teacher, t.window_start, t.last_accepted, v.alpha + v.beta as asked`.execute(trx);
  for (const row of granted.rows) {
    const key = teacherGroupKey({ router: row.router, requestType: row.request_type, model: row.model, teacher: row.teacher, windowStart: new Date(row.window_start) });
    shares.set(key, Math.min(1, Number(row.last_accepted) / Number(row.asked)));
  }
  return shares;
}

/** The start of the cap window an event falls in: its own time, so that a redelivery days later counts where it first would have. */
export function windowStartOf(at: string, windowSeconds: number): Date {
  const ms = Date.parse(at);
  const size = windowSeconds * 1000;
  return new Date(Math.floor((Number.isFinite(ms) ? ms : Date.now()) / size) * size);
}

export function teacherGroupKey(delta: Pick<TeacherDelta, 'router' | 'requestType' | 'model' | 'teacher' | 'windowStart'>): string {
  return JSON.stringify([delta.router, delta.requestType, delta.model, delta.teacher, delta.windowStart.toISOString()]);
}
