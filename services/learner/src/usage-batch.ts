import { claimFreshEvents } from './event-ids.js';
import type { CallCompleted } from '@switchyard/contracts';
import type { Kysely } from '@switchyard/db';
import { sql, type Database } from '@switchyard/db';

interface UsageDelta {
  calls: number;
  failedCalls: number;
  promptTokens: number;
  completionTokens: number;
}

/**
 * Applies a batch of call-completed events exactly once: the event ids are
 * inserted first (duplicates skipped), only the new events' deltas are added,
 * and the totals are incremented in SQL. One transaction, so a crash leaves
 * either all of the batch or none of it.
 */
export async function applyUsageBatch(db: Kysely<Database>, events: CallCompleted[]): Promise<number> {
  if (events.length === 0) return 0;
  return db.transaction().execute(async (trx) => {
    const fresh = await claimFreshEvents(trx, events);
    const deltas = new Map<string, UsageDelta>();
    for (const event of fresh) {
      const delta = deltas.get(event.deploymentId) ?? { calls: 0, failedCalls: 0, promptTokens: 0, completionTokens: 0 };
      delta.calls += 1;
      if (event.outcome !== 'ok') delta.failedCalls += 1;
      delta.promptTokens += event.usage?.prompt_tokens ?? 0;
      delta.completionTokens += event.usage?.completion_tokens ?? 0;
      deltas.set(event.deploymentId, delta);
    }
    if (deltas.size === 0) return 0;
    // Sorted keys: concurrent learners lock rows in the same order, so they never deadlock.
    const rows = [...deltas.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([deployment_id, delta]) => ({
        deployment_id,
        calls: delta.calls,
        failed_calls: delta.failedCalls,
        prompt_tokens: delta.promptTokens,
        completion_tokens: delta.completionTokens,
      }));
    await trx
      .insertInto('deployment_usage')
      .values(rows)
      .onConflict((oc) =>
        oc.column('deployment_id').doUpdateSet({
          calls: sql`deployment_usage.calls + excluded.calls`,
          failed_calls: sql`deployment_usage.failed_calls + excluded.failed_calls`,
          prompt_tokens: sql`deployment_usage.prompt_tokens + excluded.prompt_tokens`,
          completion_tokens: sql`deployment_usage.completion_tokens + excluded.completion_tokens`,
          updated_at: sql`now()`,
        }),
      )
      .execute();
    return rows.reduce((sum, row) => sum + row.calls, 0);
  });
}
