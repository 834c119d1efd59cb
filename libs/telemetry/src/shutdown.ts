import type { Logger } from 'pino';

/**
 * Runs `stop` once on SIGTERM/SIGINT, then exits. A second signal, or the
 * grace period running out, exits at once: a stuck drain must not keep a
 * replica alive forever. A replica started with an IPC channel (by the stack
 * launcher) also stops when that channel closes: its parent died, perhaps by
 * SIGKILL, and a replica left behind would hold its port as an orphan.
 */
export function onShutdownSignal(logger: Logger, graceMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals | 'parent-gone') => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without finishing the drain');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, graceMs }, 'shutting down: draining in-flight work');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'drain did not finish within the grace period: exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    stop().then(
      () => {
        logger.info('drained, exiting');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while draining');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  if (process.channel) {
    // A lifeline only: the channel must not keep a replica alive that has nothing else to do.
    process.channel.unref();
    process.once('disconnect', () => {
      if (!stopping) handler('parent-gone');
    });
  }
}
