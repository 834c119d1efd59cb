import { AckPolicy, DeliverPolicy, nanos, type Consumer, type JsMsg, type NatsConnection } from 'nats';
import { decodeJson, ensureEventsStream } from '@switchyard/bus';
import { CallsCompleted, type BusNames, type CallCompleted } from '@switchyard/contracts';
import type { Logger } from '@switchyard/telemetry';
import type { LedgerMetrics } from './metrics.js';

export interface CallsConsumerOptions {
  nc: NatsConnection;
  names: BusNames;
  logger: Logger;
  metrics: LedgerMetrics;
  /** JetStream messages (each a batch of up to a few hundred events) pulled and written per transaction at most. */
  maxMessages: number;
  /** How long JetStream waits for an ack before it redelivers (a crashed ledger's messages come back after it). */
  ackWaitMs: number;
  /** Writes the events in one transaction; throws when it could not (Postgres away): nothing of it was written. */
  apply(events: CallCompleted[]): Promise<CallCompleted[]>;
  /** Runs once a batch committed and before its messages are acked (tests crash the ledger here). */
  beforeAck?: () => Promise<void> | void;
}

export interface CallsConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** JetStream messages this replica holds right now (pulled and not yet acked): at most `maxMessages`. */
  readonly held: number;
}

const FETCH_EXPIRES_MS = 1_000;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

/**
 * Pulls call-completed messages in bounded batches and writes each batch in
 * one transaction before it acks it. While Postgres is away it keeps the one
 * batch it holds (telling JetStream it is still working on it, so nothing is
 * redelivered meanwhile) and retries with backoff; it pulls nothing more, so
 * the rest waits in JetStream and memory stays at one batch. A crash between
 * the commit and the ack means redelivery, which the event-id key makes harmless.
 */
export function createCallsConsumer(options: CallsConsumerOptions): CallsConsumer {
  const { nc, names, logger, metrics } = options;
  let running = false;
  let loop: Promise<void> | null = null;
  let held: JsMsg[] = [];
  let wake: (() => void) | null = null;

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  async function openConsumer(): Promise<Consumer> {
    await ensureEventsStream(nc, names);
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.add(names.eventsStream, {
      durable_name: names.consumers.ledgerCalls,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: names.subjects.callCompleted,
      ack_wait: nanos(options.ackWaitMs),
      // Never more unacked messages than one batch per replica could hold: the server keeps the rest.
      max_ack_pending: Math.max(options.maxMessages * 4, 64),
    });
    return nc.jetstream().consumers.get(names.eventsStream, names.consumers.ledgerCalls);
  }

  async function pull(consumer: Consumer): Promise<JsMsg[]> {
    const messages = await consumer.fetch({ max_messages: options.maxMessages, expires: FETCH_EXPIRES_MS });
    const out: JsMsg[] = [];
    for await (const msg of messages) out.push(msg);
    return out;
  }

  /** The events of the held messages; a message that does not parse is terminated (it would never parse). */
  function unpack(messages: JsMsg[]): { events: CallCompleted[]; valid: JsMsg[] } {
    const events: CallCompleted[] = [];
    const valid: JsMsg[] = [];
    for (const msg of messages) {
      const parsed = CallsCompleted.safeParse(decodeJson(msg.data));
      if (parsed.success) {
        events.push(...parsed.data.events);
        valid.push(msg);
      } else {
        metrics.events.inc({ outcome: 'malformed' });
        logger.error({ seq: msg.seq }, 'malformed call-completed message: terminated');
        msg.term();
      }
    }
    return { events, valid };
  }

  /** Writes the held batch, retrying until it commits or the ledger stops; true when it was written. */
  async function writeHeld(events: CallCompleted[], valid: JsMsg[]): Promise<boolean> {
    let delay = RETRY_MIN_MS;
    for (let attempt = 1; running; attempt++) {
      try {
        const fresh = await options.apply(events);
        metrics.recordApplied(fresh, events.length - fresh.length);
        if (attempt > 1) logger.info({ events: events.length, attempts: attempt }, 'ledger caught up: the held batch is written');
        return true;
      } catch (error) {
        metrics.writeFailures.inc();
        if (attempt === 1) logger.warn({ err: error, events: events.length }, 'ledger write failed (Postgres?): holding the batch and retrying');
        // Still on it: JetStream must not hand these messages to another replica (they would only fail there too).
        for (const msg of valid) msg.working();
        // Never longer than a third of the ack wait between two of those.
        await pause(Math.min(delay, options.ackWaitMs / 3));
        delay = Math.min(RETRY_MAX_MS, delay * 2);
      }
    }
    return false;
  }

  async function run(consumer: Consumer): Promise<void> {
    while (running) {
      let messages: JsMsg[];
      try {
        messages = await pull(consumer);
      } catch (error) {
        if (!running) break;
        logger.warn({ err: error }, 'ledger could not pull events (NATS?): retrying');
        await pause(RETRY_MAX_MS);
        continue;
      }
      if (messages.length === 0) continue;
      held = messages;
      metrics.held.set(held.length);
      const { events, valid } = unpack(messages);
      if (events.length > 0 && !(await writeHeld(events, valid))) {
        // Stopped before Postgres came back: another replica (or the next start) gets them now.
        for (const msg of valid) msg.nak();
      } else {
        await options.beforeAck?.();
        for (const msg of valid) msg.ack();
      }
      held = [];
      metrics.held.set(0);
    }
  }

  return {
    get held() {
      return held.length;
    },
    async start() {
      const consumer = await openConsumer();
      running = true;
      loop = run(consumer).catch((error: unknown) => logger.error({ err: error }, 'ledger consumer stopped'));
      logger.info({ stream: names.eventsStream, durable: names.consumers.ledgerCalls }, 'ledger consuming call-completed events');
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
