import type { CellEvidence } from '@switchyard/contracts';
import { sql, type Database, type Kysely, type Transaction } from '@switchyard/db';

/** Teachers shown per cell: the state endpoint's "who taught this", bounded. */
const TOP_TEACHERS = 10;

/**
 * Adds to each cell the teachers who gave it most evidence, from the
 * per-teacher counters the cap keeps (their last 8 days). A read for
 * publishing only: nothing is written from it.
 */
export async function withTeachers(db: Kysely<Database> | Transaction<Database>, cells: CellEvidence[]): Promise<CellEvidence[]> {
  if (cells.length === 0) return cells;
  const keys = cells.map((cell) => sql`(${cell.router}, ${cell.requestType}, ${cell.model})`);
  const rows = await sql<{ router: string; request_type: string; model: string; teacher: string; alpha: number; beta: number }>`
    select router, request_type, model, teacher, sum(alpha)::float8 as alpha, sum(beta)::float8 as beta
      from teacher_evidence
     where (router, request_type, model) in (${sql.join(keys)})
     group by router, request_type, model, teacher
     order by router, request_type, model, sum(mass) desc, teacher`.execute(db);
  const byCell = new Map<string, CellEvidence['teachers']>();
  for (const row of rows.rows) {
    const key = JSON.stringify([row.router, row.request_type, row.model]);
    const list = byCell.get(key) ?? [];
    if (list.length < TOP_TEACHERS) list.push({ teacher: row.teacher, alpha: Number(row.alpha), beta: Number(row.beta) });
    byCell.set(key, list);
  }
  return cells.map((cell) => ({ ...cell, teachers: byCell.get(JSON.stringify([cell.router, cell.requestType, cell.model])) ?? [] }));
}
