import { connect, type NatsConnection } from 'nats';
import { Counter, type Logger, type Registry } from '@switchyard/telemetry';
import { coalesceWrites } from './write-coalescing.js';

export interface ConnectOptions {
  url: string;
  /** Client name shown by the NATS server: `<service>-<instance>`. */
  name: string;
  logger: Logger;
  /** Where to count disconnects and reconnects (`switchyard_nats_connection_events_total`). */
  registry?: Registry;
  /**
   * Bytes of publishes held while reconnecting, at most (nats.go's
   * ReconnectBufSize is 8 MiB; nats.js has no such bound). Every service's
   * main passes RECONNECT_BUFFER_BYTES; tests that build services in process
   * leave it unbounded unless they test the bound itself.
   */
  reconnectBufferBytes?: number;
}

/** What a service holds of its publishes while NATS is unreachable: nats.go's default. */
export const RECONNECT_BUFFER_BYTES = 8 * 1024 * 1024;

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
  coalesceWrites(nc);
  const refused = options.registry
    ? new Counter({
        name: 'switchyard_nats_publishes_refused_total',
        help: 'Publishes refused while NATS was unreachable because the reconnect buffer was full',
        registers: [options.registry],
      })
    : null;
  if (options.reconnectBufferBytes !== undefined) boundReconnectBuffer(nc, options.reconnectBufferBytes, () => refused?.inc());
  const state = busState(nc);
  const events = options.registry
    ? new Counter({
        name: 'switchyard_nats_connection_events_total',
        help: 'NATS connection events of this replica (disconnect, reconnect)',
        labelNames: ['event'],
        registers: [options.registry],
      })
    : null;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'pingTimer') continue;
      const level = status.type === 'disconnect' || status.type === 'error' ? 'warn' : 'info';
      options.logger[level]({ nats: status.type, data: String(status.data) }, `nats ${status.type}`);
      if (status.type === 'disconnect') {
        state.set(false);
        events?.inc({ event: 'disconnect' });
      }
      if (status.type === 'reconnect') {
        state.set(true);
        events?.inc({ event: 'reconnect' });
      }
    }
  })();
  return nc;
}

interface ProtocolInternals {
  connected?: boolean;
  outbound?: { size(): number };
  publish?: (subject: string, payload?: Uint8Array | string, options?: unknown) => void;
}

/**
 * While nats.js reconnects, every publish (replies, stream chunks, JetStream
 * publishes) is appended to its outbound buffer, without bound: an outage
 * under load grows the heap until the pod is killed. Past `limitBytes` a
 * publish is refused with an error, as on a closed connection (callers
 * already handle that: a reply that cannot be sent, an event retried), and
 * counted. With a nats.js whose internals differ it does nothing.
 */
export function boundReconnectBuffer(nc: NatsConnection, limitBytes: number, onRefused: () => void): boolean {
  const protocol = (nc as unknown as { protocol?: ProtocolInternals }).protocol;
  if (typeof protocol?.publish !== 'function' || typeof protocol.outbound?.size !== 'function') return false;
  const publish = protocol.publish.bind(protocol);
  const outbound = protocol.outbound;
  protocol.publish = (subject, payload, publishOptions) => {
    if (protocol.connected === false && outbound.size() + (payload?.length ?? 0) > limitBytes) {
      onRefused();
      throw new Error(`nats unreachable and its reconnect buffer (${limitBytes} bytes) is full: publish to ${subject} refused`);
    }
    publish(subject, payload, publishOptions);
  };
  return true;
}

/** Whether a connection is up right now, and who wants to hear when that changes. */
export class BusState {
  #connected = true;
  /**
   * The server's max payload, remembered: nats.js has no `info` while it
   * reconnects, and a request must still get a clean answer then.
   */
  maxPayload = DEFAULT_MAX_PAYLOAD;
  readonly #listeners = new Set<(connected: boolean) => void>();

  get connected(): boolean {
    return this.#connected;
  }

  set(connected: boolean): void {
    if (connected === this.#connected) return;
    this.#connected = connected;
    for (const listener of this.#listeners) listener(connected);
  }

  onChange(listener: (connected: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** NATS' default max_payload (1 MiB), until the server has said otherwise. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

const states = new WeakMap<NatsConnection, BusState>();

/** The largest message the server accepts (the last value it announced). */
export function maxPayloadOf(nc: NatsConnection): number {
  const state = busState(nc);
  if (nc.info) state.maxPayload = nc.info.max_payload;
  return state.maxPayload;
}

/** The state of a connection made by connectBus (a connection made elsewhere counts as connected). */
export function busState(nc: NatsConnection): BusState {
  let state = states.get(nc);
  if (!state) {
    state = new BusState();
    states.set(nc, state);
  }
  return state;
}

/** Round trip to the server: what a readiness check needs to know. */
export async function pingBus(nc: NatsConnection): Promise<void> {
  if (nc.isClosed()) throw new Error('nats connection closed');
  await nc.flush();
}
