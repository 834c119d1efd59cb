import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { NatsConnection } from 'nats';
import { connectBus, ensureEventsStream } from '@switchyard/bus';
import { busNames, CallsCompleted, type BusNames, type CallCompleted } from '@switchyard/contracts';
import { CompletedEventsPublisher } from '@switchyard/upstream-caller';
import { Counter, createLogger, createMetricsRegistry, Histogram } from '@switchyard/telemetry';
import { eventually, uniquePrefix } from '../harness/isolation.js';

/*
 * Call-completed events travel in batches: one JetStream message for the
 * calls an upstream-caller finished within a few milliseconds. What the
 * batching must never do is lose, split or reorder an event, or hold one
 * back past a drain.
 */

describe('call-completed events: batched publishing to JetStream', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });
  let names: BusNames;
  let nc: NatsConnection;

  beforeAll(async () => {
    names = busNames(uniquePrefix('events'));
    nc = await connectBus({ url: inject('servers').natsUrl, name: `${names.prefix}-test`, logger });
    await ensureEventsStream(nc, names);
  });

  afterAll(async () => {
    await (await nc.jetstreamManager()).streams.delete(names.eventsStream).catch(() => undefined);
    await nc.close();
  });

  function publisher(options: { maxEvents: number; maxDelayMs: number }): CompletedEventsPublisher {
    const registry = createMetricsRegistry('upstream-caller', 'test');
    return new CompletedEventsPublisher({
      js: nc.jetstream(),
      subject: names.subjects.callCompleted,
      logger,
      metrics: {
        publishFailures: new Counter({ name: 'failures', help: 'x', registers: [registry] }),
        batchSize: new Histogram({ name: 'batch', help: 'x', registers: [registry] }),
      },
      ...options,
    });
  }

  async function storedBatches(): Promise<CallCompleted[][]> {
    const jsm = await nc.jetstreamManager();
    const { state } = await jsm.streams.info(names.eventsStream);
    const batches: CallCompleted[][] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const message = await jsm.streams.getMessage(names.eventsStream, { seq });
      batches.push(CallsCompleted.parse(message.json()).events);
    }
    await jsm.streams.purge(names.eventsStream);
    return batches;
  }

  it('events added together travel in one message, in order; a full batch is sent at once and the rest on drain', async () => {
    // A delay far beyond the test: only the size limit and the drain can send anything.
    const events = publisher({ maxEvents: 4, maxDelayMs: 600_000 });
    const ids = Array.from({ length: 6 }, (_, index) => `req-${index}`);
    for (const id of ids) events.add(completed(id));
    await events.drain();
    const batches = await storedBatches();
    expect(batches.map((batch) => batch.map((event) => event.requestId))).toEqual([ids.slice(0, 4), ids.slice(4)]);
  });

  it('a lone event is sent after the batching delay, without a drain', async () => {
    const events = publisher({ maxEvents: 100, maxDelayMs: 5 });
    events.add(completed('alone'));
    const jsm = await nc.jetstreamManager();
    await eventually(async () => ((await jsm.streams.info(names.eventsStream)).state.messages === 1 ? true : undefined), 5_000, 'the batch');
    expect((await storedBatches()).map((batch) => batch.map((event) => event.requestId))).toEqual([['alone']]);
    await events.drain();
  });
});

function completed(requestId: string): CallCompleted {
  return {
    eventId: `${requestId}-event`,
    requestId,
    attempt: 1,
    endpoint: 'chat.completions',
    modelGroup: 'group',
    deploymentId: 'dep',
    provider: 'openai',
    providerModel: 'gpt-4o-mini',
    stream: false,
    status: 200,
    outcome: 'ok',
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    latencyMs: 1,
    finishedAt: new Date().toISOString(),
    reservation: null,
  };
}
