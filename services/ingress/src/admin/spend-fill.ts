import { durationMs } from '@switchyard/virtual-keys';
import type { LedgerClient } from './ledger-client.js';

/**
 * LiteLLM's `spend` on a key or team object: what it spent in the current
 * budget period (LiteLLM's reset job zeroes it at `budget_reset_at`), or in
 * all time when it has no `budget_duration`. The keys service owns the
 * records and the ledger the spend, so the ingress joins them for
 * /key/info and /team/info. Without a ledger (or while it is away) `spend`
 * stays the record's 0: the info answer is still worth having.
 */
export async function withRecordedSpend(object: Record<string, unknown>, scope: string, ledger: LedgerClient | null): Promise<Record<string, unknown>> {
  if (ledger === null) return object;
  try {
    const [found] = await ledger.spendOf([scope], periodStartOf(object));
    return found === undefined ? object : { ...object, spend: found.spend };
  } catch {
    return object;
  }
}

/** Start of the current budget period: `budget_reset_at` minus one `budget_duration`; null (all time) without a duration. */
export function periodStartOf(object: Record<string, unknown>): number | null {
  const { budget_duration: duration, budget_reset_at: resetAt } = object;
  if (typeof duration !== 'string' || typeof resetAt !== 'string') return null;
  const period = durationMs(duration);
  const reset = Date.parse(resetAt);
  return period === null || Number.isNaN(reset) ? null : reset - period;
}
