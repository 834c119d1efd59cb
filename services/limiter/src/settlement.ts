import type { CallCompleted } from '@switchyard/contracts';

/**
 * Tokens a finished call really used, for settling its reservation: the
 * provider's reported usage; nothing when it certainly did no work (never
 * called, e.g. its client left first; refused connection, error status); the reserved estimate when it is unknown (a
 * timeout may still have been billed).
 */
export function settledTokens(event: CallCompleted): number {
  if (event.providerCalled === false) return 0;
  if (event.usage) return event.usage.total_tokens;
  if (event.outcome === 'connection_error' || event.outcome === 'provider_error') return 0;
  return event.reservation?.tokens ?? 0;
}
