import { connect, type JetStreamManager } from 'nats';

/**
 * A test's streams, KV buckets and object stores carry its unique prefix
 * (`<label>_<10 hex>`), e.g. `T_3FA2B1C9D0_EVENTS`, `KV_t_3fa2b1c9d0_cells`.
 */
function runStream(run: string): RegExp {
  return new RegExp(`(^|_)${run}[0-9a-f]{6}_`, 'i');
}

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
 * deletes those this run's tests created (their prefixes carry the run's tag): left behind, hundreds of streams
 * and their consumers keep nats-server busy and slow every later run (and
 * every benchmark) on the same server.
 */
export async function trackTestStreams(natsUrl: string, run: string): Promise<() => Promise<void>> {
  const before = await withJetStream(natsUrl, streamNames);
  const ofThisRun = runStream(run);
  return () =>
    withJetStream(natsUrl, async (jsm) => {
      const created = [...(await streamNames(jsm))].filter((name) => !before.has(name) && ofThisRun.test(name));
      await Promise.all(created.map((name) => jsm.streams.delete(name).catch(() => false)));
    });
}
