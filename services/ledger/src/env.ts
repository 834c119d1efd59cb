import { z } from 'zod';
import { EnvError } from '@switchyard/config';

/** The ledger's own settings, beside the environment every service reads (`loadServiceEnv`). */
const LedgerEnvSchema = z.object({
  /** JetStream messages per Postgres transaction (and held in memory) at most. */
  LEDGER_BATCH_MAX_MESSAGES: z.coerce.number().int().min(1).max(500).default(20),
  /** How long JetStream waits for an ack before redelivering, e.g. the events a crashed ledger held. */
  LEDGER_ACK_WAIT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
});

export type LedgerEnv = z.infer<typeof LedgerEnvSchema>;

export function loadLedgerEnv(env: Record<string, string | undefined>): LedgerEnv {
  const present = Object.fromEntries(Object.entries(env).filter(([key, value]) => key.startsWith('LEDGER_') && value !== undefined && value !== ''));
  const parsed = LedgerEnvSchema.safeParse(present);
  if (!parsed.success) throw new EnvError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  return parsed.data;
}
