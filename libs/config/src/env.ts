import { z } from 'zod';

/**
 * The environment every service reads, parsed once at start. Defaults are the
 * standard local ports, so `node services/<name>/dist/main.js` runs against a
 * local NATS, Redis and Postgres with no variable set.
 */
const ServiceEnvSchema = z.object({
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  REDIS_URL: z.string().min(1).default('redis://127.0.0.1:6379'),
  DATABASE_URL: z.string().min(1).default('postgres://postgres@127.0.0.1:5432/switchyard'),
  /** Path of the gateway YAML; unset = the built-in default (mock provider). */
  SWITCHYARD_CONFIG: z.string().min(1).optional(),
  /** Subject/stream prefix: several stacks (or tests) can share one NATS. */
  SWITCHYARD_BUS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).default('switchyard'),
  /** HTTP port: the API for the ingress, health/metrics for the others. */
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Name of this replica in logs and metrics; default hostname-pid. */
  SWITCHYARD_INSTANCE_ID: z.string().min(1).optional(),
  /** Milliseconds SIGTERM waits for in-flight work before exiting anyway. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(25_000),
});

export type ServiceEnv = Omit<z.infer<typeof ServiceEnvSchema>, 'PORT'> & { PORT: number };

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

export function loadServiceEnv(env: Record<string, string | undefined>, defaultPort: number): ServiceEnv {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = ServiceEnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new EnvError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  return { ...parsed.data, PORT: parsed.data.PORT ?? defaultPort };
}
