import { RetentionPolicy, StorageType, type NatsConnection } from 'nats';
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
