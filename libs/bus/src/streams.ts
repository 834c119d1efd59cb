import {
  AckPolicy,
  DeliverPolicy,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamManager,
  type NatsConnection,
  type StreamInfo,
} from 'nats';
import type { BusNames } from '@switchyard/contracts';

const DUPLICATE_WINDOW_NS = 2 * 60 * 1_000_000_000;

/** How long and how much a JetStream stream keeps; `general_settings` sets them (libs/config RetentionLimits). */
export interface StreamLimits {
  maxAgeMs: number;
  maxBytes: number;
}

/**
 * The events stream's age when a service that is not given the limits
 * creates it (libs/config's default, 24 h; a test keeps the two equal).
 * No byte limit then: JetStream reserves a stream's max_bytes out of the
 * server's storage when the stream is created, so only the ingress, which
 * applies the configured limits at start, sets one.
 */
export const DEFAULT_EVENTS_MAX_AGE_MS = 24 * 3600 * 1000;

/**
 * Brings an existing stream's age and size limits to `limits` when they
 * differ (an operator changed the config, or the stream predates limits).
 * Other settings are kept as they are.
 */
export async function applyStreamLimits(jsm: JetStreamManager, info: StreamInfo, limits: Partial<StreamLimits>): Promise<void> {
  const wanted: { max_age?: number; max_bytes?: number } = {};
  if (limits.maxAgeMs !== undefined && info.config.max_age !== nanos(limits.maxAgeMs)) wanted.max_age = nanos(limits.maxAgeMs);
  if (limits.maxBytes !== undefined && info.config.max_bytes !== limits.maxBytes) wanted.max_bytes = limits.maxBytes;
  if (Object.keys(wanted).length > 0) await jsm.streams.update(info.config.name, wanted);
}

/**
 * Creates the events stream if it is missing. Every service that publishes
 * or consumes events calls it at start, so start order does not matter;
 * concurrent creation by several replicas is harmless (same config). With
 * `limits` (the ingress passes the configured ones) an existing stream is
 * updated to them; without, it is left as it is.
 */
export async function ensureEventsStream(nc: NatsConnection, names: BusNames, limits?: StreamLimits): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const maxAgeMs = limits?.maxAgeMs ?? DEFAULT_EVENTS_MAX_AGE_MS;
  const config = {
    name: names.eventsStream,
    subjects: [`${names.prefix}.events.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(maxAgeMs),
    max_bytes: limits?.maxBytes ?? -1,
    duplicate_window: Math.min(DUPLICATE_WINDOW_NS, nanos(maxAgeMs)),
  };
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(names.eventsStream);
  } catch {
    try {
      await jsm.streams.add(config);
      return;
    } catch (error) {
      // Another replica created it between our info and add.
      info = await jsm.streams.info(names.eventsStream).catch(() => {
        throw error;
      });
    }
  }
  if (limits) await applyStreamLimits(jsm, info, limits);
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
