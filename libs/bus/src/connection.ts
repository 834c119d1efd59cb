import { connect, type NatsConnection } from 'nats';
import type { Logger } from '@switchyard/telemetry';

export interface ConnectOptions {
  url: string;
  /** Client name shown by the NATS server: `<service>-<instance>`. */
  name: string;
  logger: Logger;
  /** Called on every reconnect, for the reconnect counter. */
  onReconnect?: () => void;
}

/**
 * Connects with unlimited reconnects: a NATS restart must never leave a
 * replica disconnected for good. Status changes are logged, not thrown.
 */
export async function connectBus(options: ConnectOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: options.url.split(',').map((server) => server.trim()),
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    waitOnFirstConnect: true,
    pingInterval: 10_000,
    // Capturing a stack trace for every request and publish costs a few % of CPU on the hot path.
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'pingTimer') continue;
      const level = status.type === 'disconnect' || status.type === 'error' ? 'warn' : 'info';
      options.logger[level]({ nats: status.type, data: String(status.data) }, `nats ${status.type}`);
      if (status.type === 'reconnect') options.onReconnect?.();
    }
  })();
  return nc;
}

/** Round trip to the server: what a readiness check needs to know. */
export async function pingBus(nc: NatsConnection): Promise<void> {
  if (nc.isClosed()) throw new Error('nats connection closed');
  await nc.flush();
}
