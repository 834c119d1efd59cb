import { Redis } from 'ioredis';
import { connect } from 'nats';
import { newHistogram, percentiles } from '../load.js';
import { fixed, type Table } from '../report.js';

/*
 * The floor under Switchyard's overhead on this machine: what one NATS
 * request/reply round trip (two hops through the server, between two
 * connections) and one Redis round trip cost, measured from the bench
 * process at concurrency 1.
 */
export async function measureFloor(count: number): Promise<Table> {
  const payload = new Uint8Array(600);
  const server = await connect({ servers: (process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222').split(',') });
  const client = await connect({ servers: (process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222').split(','), noAsyncTraces: true });
  const subject = `bench_floor.${process.pid}`;
  server.subscribe(subject, { callback: (_error, msg) => msg.respond(msg.data) });
  await server.flush();
  const nats = newHistogram();
  for (let i = 0; i < count + 200; i++) {
    const t0 = performance.now();
    await client.request(subject, payload, { timeout: 5_000 });
    if (i >= 200) nats.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
  }
  await client.close();
  await server.close();

  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const ping = newHistogram();
  try {
    for (let i = 0; i < count + 200; i++) {
      const t0 = performance.now();
      await redis.ping();
      if (i >= 200) ping.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
    }
  } finally {
    redis.disconnect();
  }
  const row = (name: string, histogram: typeof nats) => {
    const p = percentiles(histogram);
    return [name, p.count, fixed(p.p50, 3), fixed(p.p90, 3), fixed(p.p99, 3)];
  };
  return {
    title: 'The floor on this machine: one round trip through NATS and through Redis (ms, concurrency 1)',
    columns: ['round trip', 'count', 'p50', 'p90', 'p99'],
    rows: [row('NATS request/reply (600-byte payload, two hops via nats-server)', nats), row('Redis PING', ping)],
    notes: [
      "Measured from the bench process. On a request's critical path Switchyard adds three one-way bus hops (decision, hand-off, reply: 1.5 NATS round trips) and, with limits on, one Redis script, besides the client and provider HTTP hops any gateway has; the call-completed events (batched) and their settlement cost CPU off that path.",
    ],
  };
}
