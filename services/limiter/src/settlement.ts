import { z } from 'zod';
import { LenientReservation, type CallCompleted, type Reservation } from '@switchyard/contracts';

/**
 * Tokens a finished call really used, for settling its reservation: the
 * provider's reported usage; nothing when it certainly did no work (never
 * called: a client that left first, a message the caller could not read;
 * refused connection, error status); the
 * reserved estimate when it is unknown (a
 * timeout may still have been billed).
 */
export function settledTokens(event: CallCompleted): number {
  if (event.providerCalled === false) return 0;
  if (event.usage) return event.usage.total_tokens;
  if (event.outcome === 'connection_error' || event.outcome === 'provider_error') return 0;
  return event.reservation?.tokens ?? 0;
}

const SalvageableEvent = z.looseObject({
  reservation: LenientReservation,
  usage: z.looseObject({ total_tokens: z.number() }).nullish(),
});

/**
 * The reservations of a call-completed message that does not parse, each
 * with the tokens to settle it to (the usage when it reads as a safe
 * integer, else nothing). Dropping such a message would hold its
 * reservations' concurrency slots until their leases expire.
 */
export function salvageSettlements(raw: unknown): Array<{ reservation: Reservation; tokens: number }> {
  const events = (raw as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) return [];
  const out: Array<{ reservation: Reservation; tokens: number }> = [];
  for (const event of events) {
    const parsed = SalvageableEvent.safeParse(event);
    if (!parsed.success) continue;
    const total = parsed.data.usage?.total_tokens;
    out.push({
      reservation: { ...parsed.data.reservation, tokens: 0, expiresAt: Math.trunc(parsed.data.reservation.expiresAt) },
      tokens: typeof total === 'number' && Number.isSafeInteger(total) && total >= 0 ? total : 0,
    });
  }
  return out;
}
