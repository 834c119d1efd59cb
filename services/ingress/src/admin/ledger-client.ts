import type { NatsConnection } from 'nats';
import { decodeJson } from '@switchyard/bus';
import { LedgerReply, ScopeSpend, type BusNames, type SpendLogsQuery, type SpendOfRequest, type SpendReportQuery } from '@switchyard/contracts';
import { z } from 'zod';

/** How long a spend route waits for the ledger (a report over many days is one SQL query). */
const LEDGER_TIMEOUT_MS = 10_000;

/** Why the ledger gave no result: it answered with an error, or nobody answered. */
export class LedgerUnavailable extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The ledger service over NATS request/reply: the spend routes' data, and
 * `spendOf` for whoever shows a key's or team's spend (/key/info, /team/info).
 */
export interface LedgerClient {
  logs(query: SpendLogsQuery): Promise<unknown>;
  report(query: SpendReportQuery): Promise<unknown>;
  /** Recorded spend of `key:<hash>`, `team:<id>` or `user:<id>` scopes, in the order asked: all time, or since `sinceMs`. */
  spendOf(scopes: SpendOfRequest['scopes'], sinceMs?: number | null): Promise<ScopeSpend[]>;
}

export function createLedgerClient(nc: NatsConnection, names: BusNames): LedgerClient {
  async function ask(subject: string, body: unknown): Promise<unknown> {
    let data: Uint8Array;
    try {
      data = (await nc.request(subject, JSON.stringify(body), { timeout: LEDGER_TIMEOUT_MS })).data;
    } catch {
      throw new LedgerUnavailable(503, 'No spend ledger answered (is the ledger service running?).');
    }
    const parsed = LedgerReply.safeParse(decodeJson(data));
    if (!parsed.success) throw new LedgerUnavailable(502, 'The spend ledger sent an answer that could not be read.');
    if (!parsed.data.ok) throw new LedgerUnavailable(parsed.data.status, parsed.data.message);
    return parsed.data.result;
  }
  return {
    logs: (query) => ask(names.subjects.spendLogs, query),
    report: (query) => ask(names.subjects.spendReport, query),
    spendOf: async (scopes, sinceMs = null) => z.array(ScopeSpend).parse(await ask(names.subjects.spendOf, { scopes, sinceMs })),
  };
}
