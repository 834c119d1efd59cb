import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from 'nats';
import { busState, connectBus } from '@switchyard/bus';
import type { CallCompleted } from '@switchyard/contracts';
import { Counter, createLogger, Histogram, Registry } from '@switchyard/telemetry';
import { CompletedEventsPublisher } from '@switchyard/upstream-caller';
import { OwnNatsServer } from '../harness/index.js';

/**
 * Issue 12: while JetStream is away the upstream-caller holds call-completed
 * events for retry. It holds at most `maxHeldEvents`; what is beyond is
 * dropped and counted, never held without bound.
 */
describe('faults: call-completed events held while JetStream is away are bounded', () => {
  let nats: OwnNatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await OwnNatsServer.start();
    nc = await connectBus({ url: nats.url, name: 'events-bound', logger: createLogger({ service: 't', level: 'silent' }) });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('faults: beyond maxHeldEvents events are dropped and counted, the rest held for retry', async () => {
    const registry = new Registry();
    const dropped = new Counter({ name: 'dropped', help: 'h', labelNames: ['reason'], registers: [registry] });
    const publisher = new CompletedEventsPublisher({
      js: nc.jetstream(),
      subject: 'nowhere.completed',
      logger: createLogger({ service: 't', level: 'silent' }),
      metrics: { publishFailures: new Counter({ name: 'f', help: 'h', registers: [registry] }), batchSize: new Histogram({ name: 'b', help: 'h', registers: [registry] }), dropped },
      maxEvents: 5,
      maxHeldEvents: 10,
    });
    const down = new Promise<void>((resolve) => busState(nc).onChange((connected) => !connected && resolve()));
    await nats.kill();
    await down;
    for (let i = 0; i < 30; i++) publisher.add(event());
    expect(publisher.held).toBe(10);
    expect((await dropped.get()).values).toEqual([expect.objectContaining({ labels: { reason: 'buffer_full' }, value: 20 })]);
  });
});

function event(): CallCompleted {
  return {
    eventId: randomUUID(),
    requestId: randomUUID(),
    attempt: 1,
    endpoint: 'chat.completions',
    modelGroup: 'chat',
    deploymentId: 'chat-0',
    provider: 'openai',
    providerModel: 'm',
    stream: false,
    status: 200,
    outcome: 'ok',
    usage: null,
    latencyMs: 1,
    finishedAt: new Date().toISOString(),
    reservation: null,
  };
}
