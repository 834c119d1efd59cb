import { AckPolicy, DeliverPolicy, nanos, RetentionPolicy, StorageType, type ConsumerMessages, type NatsConnection } from 'nats';
import type { BusNames } from '@switchyard/contracts';

const EVENTS_MAX_AGE_NS = 7 * 24 * 3600 * 1_000_000_000;
const DUPLICATE_WINDOW_NS = 2 * 60 * 1_000_000_000;

/**
 * Creates the events stream if it is missing. Every service that publishes
 * or consumes events calls it at start, so start order does not matter;
 * concurrent creation by several replicas is harmless (same config).
 */
export async function ensureEventsStream(nc: NatsConnection, names: BusNames): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const config = {
    name: names.eventsStream,
    subjects: [`${names.prefix}.events.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: EVENTS_MAX_AGE_NS,
    duplicate_window: DUPLICATE_WINDOW_NS,
  };
  try {
    await jsm.streams.info(names.eventsStream);
  } catch {
    try {
      await jsm.streams.add(config);
    } catch (error) {
      // Another replica created it between our info and add.
      await jsm.streams.info(names.eventsStream).catch(() => {
        throw error;
      });
    }
  }
}

/**
 * Creates (idempotently) a durable, explicitly acked pull consumer on the
 * events stream and starts consuming it. Every replica of a service opens the
 * same durable, so JetStream spreads the events over them like a queue group,
 * and an event that is not acked (crash, failed write) comes back.
 */
export async function consumeDurable(
  nc: NatsConnection,
  names: BusNames,
  options: { durable: string; filterSubject: string; ackWaitMs?: number; maxAckPending?: number; batch?: number },
): Promise<ConsumerMessages> {
  await ensureEventsStream(nc, names);
  const jsm = await nc.jetstreamManager();
  await jsm.consumers.add(names.eventsStream, {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: options.filterSubject,
    ack_wait: nanos(options.ackWaitMs ?? 30_000),
    max_ack_pending: options.maxAckPending ?? 10_000,
  });
  const consumer = await nc.jetstream().consumers.get(names.eventsStream, options.durable);
  return consumer.consume({ max_messages: options.batch ?? 500 });
}
