import type { Registry } from 'prom-client';
import { createLogger, instanceIdOf, type Logger } from './logger.js';
import { createMetricsRegistry } from './metrics.js';
import { startOpsServer, type ReadinessCheck } from './ops-server.js';
import { onShutdownSignal } from './shutdown.js';

export interface ServiceRuntime {
  logger: Logger;
  registry: Registry;
  instanceId: string;
}

/** What every service process sets up before its own wiring: logger and metrics. */
export function createServiceRuntime(options: {
  service: string;
  logLevel: Parameters<typeof createLogger>[0]['level'];
  instanceId: string | undefined;
}): ServiceRuntime {
  const instanceId = instanceIdOf(options.instanceId);
  const logger = createLogger({ service: options.service, level: options.logLevel, instanceId });
  return { logger, registry: createMetricsRegistry(options.service, instanceId), instanceId };
}

/**
 * The tail of a worker service's main: ops endpoints, then drain on SIGTERM
 * (readiness turns 503 first so a load balancer stops sending work).
 */
export async function serveWorker(options: {
  runtime: ServiceRuntime;
  host: string;
  port: number;
  graceMs: number;
  checks: ReadinessCheck[];
  stop: () => Promise<void>;
}): Promise<void> {
  let shuttingDown = false;
  const ops = await startOpsServer({
    host: options.host,
    port: options.port,
    registry: options.runtime.registry,
    checks: options.checks,
    isShuttingDown: () => shuttingDown,
  });
  options.runtime.logger.info({ port: ops.port }, 'ready: /healthz /readyz /metrics');
  onShutdownSignal(options.runtime.logger, options.graceMs, async () => {
    shuttingDown = true;
    await options.stop();
    await ops.close();
  });
}
