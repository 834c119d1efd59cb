import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { coalesceWrites, connectBus } from '@switchyard/bus';
import { createLogger } from '@switchyard/telemetry';
import { uniquePrefix } from '../harness/isolation.js';

/*
 * Every service's NATS connection defers its socket writes to the end of the
 * event-loop turn, so that publishes made in separate I/O callbacks share a
 * write. It replaces one method of nats.js's internals: these tests fail if a
 * nats.js upgrade makes that a no-op, or if deferring ever loses, reorders or
 * holds back a message.
 */

describe('bus: NATS writes coalesced per event-loop turn', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connectBus({ url: inject('servers').natsUrl, name: 'coalescing-test', logger });
  });

  afterAll(async () => {
    await nc.close();
  });

  it('the nats.js in use has the flush hook it replaces', async () => {
    const plain = await connect({ servers: inject('servers').natsUrl });
    try {
      expect(coalesceWrites(plain)).toBe(true);
    } finally {
      await plain.close();
    }
  });

  it('publishes from many separate callbacks all arrive, in order, with no flush call', async () => {
    const subject = `${uniquePrefix('writes')}.seq`;
    const count = 2_000;
    const received: number[] = [];
    const done = new Promise<void>((resolve) => {
      const sub = nc.subscribe(subject, {
        callback: (_error, msg) => {
          received.push(Number(new TextDecoder().decode(msg.data)));
          if (received.length === count) {
            sub.unsubscribe();
            resolve();
          }
        },
      });
    });
    await nc.flush();
    const sender = await connectBus({ url: inject('servers').natsUrl, name: 'coalescing-sender', logger });
    // Each publish in its own macrotask, the way requests and provider chunks arrive.
    await Promise.all(
      Array.from({ length: count }, (_, index) => new Promise<void>((resolve) => setImmediate(() => resolve(sender.publish(subject, String(index)))))),
    );
    await done;
    expect(received).toEqual(Array.from({ length: count }, (_, index) => index));
    await sender.drain();
  });
});
