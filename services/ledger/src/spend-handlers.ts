import type { Msg, NatsConnection, Subscription } from 'nats';
import type { z } from 'zod';
import { decodeJson } from '@switchyard/bus';
import { QueueGroups, SpendLogsQuery, SpendOfRequest, SpendReportQuery, type BusNames, type LedgerReply } from '@switchyard/contracts';
import type { Database, Kysely } from '@switchyard/db';
import type { Logger } from '@switchyard/telemetry';
import { spendLogs, spendOf, spendReport } from './spend-queries.js';

interface Handler<T> {
  subject: string;
  schema: z.ZodType<T>;
  answer(db: Kysely<Database>, request: T): Promise<unknown>;
}

function handler<T>(subject: string, schema: z.ZodType<T>, answer: Handler<T>['answer']): Handler<unknown> {
  return { subject, schema, answer } as Handler<unknown>;
}

/** The ledger's request/reply subjects: one registration line each. */
function handlersOf(names: BusNames): Array<Handler<unknown>> {
  return [
    handler(names.subjects.spendLogs, SpendLogsQuery, spendLogs),
    handler(names.subjects.spendReport, SpendReportQuery, spendReport),
    handler(names.subjects.spendOf, SpendOfRequest, (db, request) => spendOf(db, request.scopes, request.sinceMs ?? null)),
  ];
}

/**
 * Answers the spend subjects from Postgres (queue group `ledger`: one replica
 * answers each). Postgres away is an answer too (503), never a timeout.
 */
export function serveSpendQueries(nc: NatsConnection, names: BusNames, db: Kysely<Database>, logger: Logger) {
  const subscriptions: Subscription[] = [];
  const loops: Promise<void>[] = [];
  const inFlight = new Set<Promise<void>>();

  async function answer(entry: Handler<unknown>, msg: Msg): Promise<void> {
    let reply: LedgerReply;
    const parsed = entry.schema.safeParse(decodeJson(msg.data));
    if (!parsed.success) {
      reply = { ok: false, status: 400, message: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ') };
    } else {
      try {
        reply = { ok: true, result: await entry.answer(db, parsed.data) };
      } catch (error) {
        logger.warn({ err: error, subject: entry.subject }, 'spend query failed');
        reply = { ok: false, status: 503, message: 'The spend ledger cannot read its database right now; try again shortly.' };
      }
    }
    msg.respond(JSON.stringify(reply));
  }

  return {
    start(): void {
      for (const entry of handlersOf(names)) {
        const sub = nc.subscribe(entry.subject, { queue: QueueGroups.ledger });
        subscriptions.push(sub);
        loops.push(
          (async () => {
            for await (const msg of sub) {
              const task = answer(entry, msg).catch((error: unknown) => logger.error({ err: error }, 'spend answer failed'));
              inFlight.add(task);
              void task.finally(() => inFlight.delete(task));
            }
          })(),
        );
      }
    },
    async stop(): Promise<void> {
      await Promise.all(subscriptions.map((sub) => sub.drain()));
      await Promise.all(loops);
      await Promise.allSettled([...inFlight]);
    },
  };
}
