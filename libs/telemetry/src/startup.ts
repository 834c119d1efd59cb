import type { Logger } from 'pino';

/**
 * Runs a service's start-up; a failure (bad config file, unreachable NATS)
 * becomes one fatal JSON log line with the reason, and exit code 1, instead
 * of an unhandled rejection's stack trace.
 */
export function runService(logger: Logger, start: () => Promise<void>): void {
  start().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    logger.fatal({ err: error }, `start-up failed: ${message}`);
    logger.flush();
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100).unref();
  });
}
