import type { Database, Transaction } from '@switchyard/db';

/**
 * Records the batch's event ids and returns only the events seen for the
 * first time: those already applied (a redelivery) and repeats within the
 * batch are left out. Ids are inserted sorted, so two learners holding the
 * same ids lock them in the same order and never deadlock. Must run in the
 * transaction that applies the events: that is what makes them count once.
 */
export async function claimFreshEvents<T extends { eventId: string }>(trx: Transaction<Database>, events: readonly T[]): Promise<T[]> {
  const ids = [...new Set(events.map((event) => event.eventId))].sort();
  const inserted = await trx
    .insertInto('processed_events')
    .values(ids.map((event_id) => ({ event_id })))
    .onConflict((oc) => oc.column('event_id').doNothing())
    .returning('event_id')
    .execute();
  const unseen = new Set(inserted.map((row) => row.event_id));
  // `delete` keeps the first occurrence of an id and drops its repeats later in the batch.
  return events.filter((event) => unseen.delete(event.eventId));
}
