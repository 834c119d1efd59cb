import { z } from 'zod';
import { EnvError } from '@switchyard/config';

/** The learner's own settings, beside the environment every service reads (`loadServiceEnv`). */
const LearnerEnvSchema = z.object({
  /** Events per Postgres transaction at most. */
  LEARNER_BATCH_MAX_ITEMS: z.coerce.number().int().min(1).max(5_000).default(200),
  /** How long the first event of a batch waits for more. */
  LEARNER_BATCH_MAX_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(250),
  /** How long JetStream waits for an ack before redelivering, e.g. the events a crashed learner held. */
  LEARNER_ACK_WAIT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
});

export type LearnerEnv = z.infer<typeof LearnerEnvSchema>;

export function loadLearnerEnv(env: Record<string, string | undefined>): LearnerEnv {
  const present = Object.fromEntries(Object.entries(env).filter(([key, value]) => key.startsWith('LEARNER_') && value !== undefined && value !== ''));
  const parsed = LearnerEnvSchema.safeParse(present);
  if (!parsed.success) throw new EnvError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  return parsed.data;
}
