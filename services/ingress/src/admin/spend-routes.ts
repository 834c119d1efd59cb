import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Errors, GatewayError, SpendReportGroup } from '@switchyard/contracts';
import { keyHashOf } from '@switchyard/virtual-keys';
import { zodToGatewayError } from '../errors.js';
import { LedgerUnavailable, type LedgerClient } from './ledger-client.js';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD');
const Bool = z.enum(['true', 'false']).transform((value) => value === 'true');

/** LiteLLM's query parameters of `GET /spend/logs`. */
const SpendLogsParams = z.object({
  api_key: z.string().min(1).max(256).optional(),
  user_id: z.string().min(1).max(160).optional(),
  request_id: z.string().min(1).max(128).optional(),
  start_date: Day.optional(),
  end_date: Day.optional(),
  summarize: Bool.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/** LiteLLM's query parameters of `GET /global/spend/report` (`group_by=model` is Switchyard's). */
const SpendReportParams = z.object({
  start_date: Day,
  end_date: Day,
  group_by: SpendReportGroup.optional(),
  api_key: z.string().min(1).max(256).optional(),
  internal_user_id: z.string().min(1).max(160).optional(),
});

function parseQuery<T>(schema: z.ZodType<T>, request: FastifyRequest): T {
  const parsed = schema.safeParse(request.query);
  if (!parsed.success) throw zodToGatewayError(parsed.error);
  return parsed.data;
}

function checkDates(start: string | undefined, end: string | undefined): void {
  if ((start === undefined) !== (end === undefined)) throw Errors.invalidRequest('Send both start_date and end_date, or neither.', start === undefined ? 'start_date' : 'end_date');
  if (start !== undefined && end !== undefined && start > end) throw Errors.invalidRequest('start_date is after end_date.', 'start_date');
}

/** Spend is the operator's: only the master key reads it (or anyone, on a gateway with no master key: open auth). */
function requireMaster(request: FastifyRequest): void {
  const open = request.auth.callerId === null;
  if (!request.auth.isMaster && !open) {
    throw new GatewayError({ status: 403, type: 'auth_error', code: 'forbidden', message: 'Only the master key can read spend.' });
  }
}

async function fromLedger(read: () => Promise<unknown>): Promise<unknown> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof LedgerUnavailable) {
      throw error.status === 400 ? Errors.invalidRequest(error.message) : Errors.unavailable(error.message, 'ledger_unavailable');
    }
    throw error;
  }
}

/**
 * LiteLLM's spend routes, answered by the ledger service over NATS (the
 * ingress reads no database): `GET /spend/logs` and `GET /global/spend/report`.
 */
export function registerSpendRoutes(app: FastifyInstance, ledger: LedgerClient | null): void {
  const client = (): LedgerClient => {
    if (!ledger) throw Errors.unavailable('Spend is not available on this ingress.', 'ledger_unavailable');
    return ledger;
  };

  app.get('/spend/logs', async (request) => {
    requireMaster(request);
    const params = parseQuery(SpendLogsParams, request);
    checkDates(params.start_date, params.end_date);
    return fromLedger(() =>
      client().logs({
        apiKeyHash: params.api_key ? keyHashOf(params.api_key) : null,
        userId: params.user_id ?? null,
        requestId: params.request_id ?? null,
        startDate: params.start_date ?? null,
        endDate: params.end_date ?? null,
        summarize: params.summarize ?? true,
        limit: params.limit ?? 100,
      }),
    );
  });

  app.get('/global/spend/report', async (request) => {
    requireMaster(request);
    const params = parseQuery(SpendReportParams, request);
    checkDates(params.start_date, params.end_date);
    return fromLedger(() =>
      client().report({
        startDate: params.start_date,
        endDate: params.end_date,
        groupBy: params.group_by ?? 'team',
        apiKeyHash: params.api_key ? keyHashOf(params.api_key) : null,
        userId: params.internal_user_id ?? null,
      }),
    );
  });
}
