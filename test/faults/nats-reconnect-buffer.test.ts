import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from 'nats';
import { busState, connectBus } from '@switchyard/bus';
import { createLogger, createMetricsRegistry, type Registry } from '@switchyard/telemetry';
import { OwnNatsServer } from '../harness/index.js';

/**
 * Issue 12: nats.js holds every publish made while it reconnects in its
 * outbound buffer, without bound. connectBus bounds it (`reconnectBufferBytes`):
 * past the bound a publish is refused and counted, and once NATS is back
 * publishing works again.
 */
describe('faults: the NATS reconnect buffer is bounded', () => {
  let nats: OwnNatsServer;
  let nc: NatsConnection;
  let registry: Registry;
  const LIMIT = 64 * 1024;

  beforeAll(async () => {
    nats = await OwnNatsServer.start();
    registry = createMetricsRegistry('bus-test', 'bus-test-0');
    nc = await connectBus({ url: nats.url, name: 'bus-test', logger: createLogger({ service: 'bus-test', level: 'silent' }), registry, reconnectBufferBytes: LIMIT });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('faults: publishes while NATS is down are refused past the bound, counted, and work again after the reconnect', async () => {
    const down = new Promise<void>((resolve) => busState(nc).onChange((connected) => !connected && resolve()));
    await nats.kill();
    await down;
    const payload = new Uint8Array(1024);
    let accepted = 0;
    let refusal: unknown = null;
    // 1 MiB offered: sixteen times the bound.
    for (let i = 0; i < 1024 && refusal === null; i++) {
      try {
        nc.publish('bus.test', payload);
        accepted++;
      } catch (error) {
        refusal = error;
      }
    }
    expect(String(refusal)).toContain('reconnect buffer');
    expect(accepted * payload.length).toBeLessThanOrEqual(LIMIT);
    const refused = await registry.getSingleMetric('switchyard_nats_publishes_refused_total')?.get();
    expect(refused?.values[0]?.value).toBe(1);

    const up = new Promise<void>((resolve) => busState(nc).onChange((connected) => connected && resolve()));
    await nats.restart();
    await up;
    nc.publish('bus.test', payload);
    await nc.flush();
  });
});
