import { connect, type JetStreamManager } from 'nats';

/**
 * A test's streams, KV buckets and object stores carry its unique prefix
 * (`<label>_<10 hex>`), e.g. `T_3FA2B1C9D0_EVENTS`, `KV_t_3fa2b1c9d0_cells`.
 */
const TEST_STREAM = /(^|_)[0-9a-f]{10}_/i;

async function withJetStream<T>(natsUrl: string, work: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: natsUrl });
  try {
    return await work(await nc.jetstreamManager());
  } finally {
    await nc.close();
  }
}

async function streamNames(jsm: JetStreamManager): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const stream of jsm.streams.list()) names.add(stream.config.name);
  return names;
}

/**
 * Remembers the streams on the shared NATS before the run, and afterwards
 * deletes those the run's tests created: left behind, hundreds of streams
 * and their consumers keep nats-server busy and slow every later run (and
 * every benchmark) on the same server.
 */
export async function trackTestStreams(natsUrl: string): Promise<() => Promise<void>> {
  const before = await withJetStream(natsUrl, streamNames);
  return () =>
    withJetStream(natsUrl, async (jsm) => {
      const created = [...(await streamNames(jsm))].filter((name) => !before.has(name) && TEST_STREAM.test(name));
      await Promise.all(created.map((name) => jsm.streams.delete(name).catch(() => false)));
    });
}
