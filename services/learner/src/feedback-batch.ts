import type { CellEvidence, FeedbackEvent } from '@switchyard/contracts';
import type { Database, Kysely } from '@switchyard/db';
import { claimFreshEvents } from './event-ids.js';
import { grantTeacherEvidence, teacherGroupKey, windowStartOf, type TeacherDelta } from './teacher-evidence.js';
import { addToCells, type CellDelta } from './turn-batch.js';

/**
 * Applies explicit scores exactly once, in one transaction, the turn path's
 * way: event ids claimed, the teacher's cap granted in SQL (explicit and
 * implicit evidence of a key share one cap: the endpoint is no way around
 * it), the granted deltas added to the cells in SQL.
 */
export async function applyFeedbackBatch(db: Kysely<Database>, events: readonly FeedbackEvent[]): Promise<{ applied: number; changed: CellEvidence[] }> {
  if (events.length === 0) return { applied: 0, changed: [] };
  return db.transaction().execute(async (trx) => {
    const fresh = await claimFreshEvents(trx, events);
    const deltas: TeacherDelta[] = fresh
      .filter((event) => event.weight > 0 && event.score !== 0)
      .map((event) => ({
        router: event.router,
        requestType: event.requestType,
        model: event.model,
        teacher: event.teacher,
        windowStart: windowStartOf(event.at, event.evidenceCap?.windowSeconds ?? 86_400),
        cap: event.evidenceCap?.perTeacher ?? null,
        alpha: event.weight * Math.max(0, event.score),
        beta: event.weight * Math.max(0, -event.score),
      }));
    const granted = await grantTeacherEvidence(trx, deltas);
    const cells = new Map<string, CellDelta>();
    for (const delta of deltas) {
      const share = granted.get(teacherGroupKey(delta)) ?? 0;
      if (share <= 0) continue;
      const key = JSON.stringify([delta.router, delta.requestType, delta.model]);
      const cell = cells.get(key) ?? { router: delta.router, requestType: delta.requestType as CellDelta['requestType'], model: delta.model, alpha: 0, beta: 0, samples: 0 };
      cell.alpha += delta.alpha * share;
      cell.beta += delta.beta * share;
      cell.explicitAlpha = (cell.explicitAlpha ?? 0) + delta.alpha * share;
      cell.explicitBeta = (cell.explicitBeta ?? 0) + delta.beta * share;
      cell.samples += 1;
      cells.set(key, cell);
    }
    return { applied: fresh.length, changed: await addToCells(trx, [...cells.values()]) };
  });
}
