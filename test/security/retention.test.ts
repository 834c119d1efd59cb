import { connect, nanos, type JetStreamManager, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BodyStore, DEFAULT_BODY_MAX_AGE_MS, DEFAULT_EVENTS_MAX_AGE_MS, ensureEventsStream } from '@switchyard/bus';
import { ensureCellsBucket } from '@switchyard/ingress';
import { createLogger } from '@switchyard/telemetry';
import { parseGatewayConfig } from '@switchyard/config';
import { busNames } from '@switchyard/contracts';
import { startInProcessStack, uniquePrefix } from '../harness/index.js';

/*
 * Prompts travel in turn events and oversized bodies: JetStream keeps them
 * only as long and as much as general_settings says, and an existing
 * stream is brought to the configured limits when the ingress starts.
 */

const MIB = 1024 * 1024;

describe('security retention: JetStream limits from general_settings', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const created: string[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: inject('servers').natsUrl });
    jsm = await nc.jetstreamManager();
  });
  afterAll(async () => {
    for (const name of created) await jsm.streams.delete(name).catch(() => false);
    await nc?.close();
  });

  it('security retention: the bus defaults are the config defaults', () => {
    const config = parseGatewayConfig('model_list:\n  - model_name: m\n    litellm_params: { model: mock/m }\n', { source: '<test>', env: {} });
    const retention = config.general.retention;
    expect(DEFAULT_EVENTS_MAX_AGE_MS).toBe(retention.eventsMaxAgeMs);
    expect(DEFAULT_BODY_MAX_AGE_MS).toBe(retention.bodiesMaxAgeMs);
    expect(retention).toEqual({
      eventsMaxAgeMs: 24 * 3600 * 1000,
      eventsMaxBytes: 1024 * MIB,
      bodiesMaxAgeMs: 15 * 60 * 1000,
      bodiesMaxBytes: 1024 * MIB,
      cellsMaxBytes: 64 * MIB,
      keysMaxBytes: 64 * MIB,
    });
  });

  it('security retention: an events age beyond what the learner remembers event ids for is refused at load', () => {
    const yaml = 'model_list:\n  - model_name: m\n    litellm_params: { model: mock/m }\ngeneral_settings:\n  events_max_age_seconds: 864000\n';
    expect(() => parseGatewayConfig(yaml, { source: '<test>', env: {} })).toThrow(/events_max_age_seconds: at most 604800/);
  });

  it('security retention: after start, the events stream and the body store have the configured limits', async () => {
    const stack = await startInProcessStack({
      servers: inject('servers'),
      config: `model_list:
  - model_name: m
    litellm_params: { model: mock/m }
general_settings:
  events_max_age_seconds: 3600
  events_max_bytes: ${64 * MIB}
  bodies_max_age_seconds: 120
  bodies_max_bytes: ${32 * MIB}
`,
      scale: { learner: 0 },
    });
    try {
      created.push(stack.names.eventsStream, `OBJ_${stack.names.bodyBucket}`);
      // A body too large for one bus message goes through the body store, which it creates.
      const content = 'x'.repeat(1536 * 1024);
      const response = await fetch(`${stack.ingressUrls[0]}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content }] }),
      });
      expect(response.status).toBe(200);
      const events = await jsm.streams.info(stack.names.eventsStream);
      expect(events.config).toMatchObject({ max_age: nanos(3600 * 1000), max_bytes: 64 * MIB });
      const bodies = await jsm.streams.info(`OBJ_${stack.names.bodyBucket}`);
      expect(bodies.config).toMatchObject({ max_age: nanos(120 * 1000), max_bytes: 32 * MIB });
    } finally {
      await stack.stop();
    }
  });

  it('security retention: streams made before limits existed (7 days, no byte limit) are updated to the configured ones', async () => {
    const names = busNames(uniquePrefix());
    created.push(names.eventsStream, `OBJ_${names.bodyBucket}`);
    await jsm.streams.add({ name: names.eventsStream, subjects: [`${names.prefix}.events.>`], max_age: nanos(7 * 24 * 3600 * 1000) });
    await nc.jetstream().views.os(names.bodyBucket, { ttl: nanos(30 * 60 * 1000) });

    // A service without the limits leaves the stream as it is; the ingress's limits change it.
    await ensureEventsStream(nc, names);
    expect((await jsm.streams.info(names.eventsStream)).config).toMatchObject({ max_age: nanos(7 * 24 * 3600 * 1000), max_bytes: -1 });
    await ensureEventsStream(nc, names, { maxAgeMs: 2 * 3600 * 1000, maxBytes: 8 * MIB });
    expect((await jsm.streams.info(names.eventsStream)).config).toMatchObject({ max_age: nanos(2 * 3600 * 1000), max_bytes: 8 * MIB });

    await new BodyStore(nc, names.bodyBucket, { maxAgeMs: 300 * 1000, maxBytes: 4 * MIB }).applyLimits();
    expect((await jsm.streams.info(`OBJ_${names.bodyBucket}`)).config).toMatchObject({ max_age: nanos(300 * 1000), max_bytes: 4 * MIB });

  });

  it('security retention: the cells bucket is created with its size limit and no age limit, and an existing one is left alone', async () => {
    const names = busNames(uniquePrefix());
    created.push(`KV_${names.cellsBucket}`);
    const logger = createLogger({ service: 'test', level: 'silent' });
    await ensureCellsBucket(nc, names.cellsBucket, 2 * MIB, logger);
    expect((await jsm.streams.info(`KV_${names.cellsBucket}`)).config).toMatchObject({ max_bytes: 2 * MIB, max_age: 0, max_msgs_per_subject: 1 });
    await ensureCellsBucket(nc, names.cellsBucket, 4 * MIB, logger);
    expect((await jsm.streams.info(`KV_${names.cellsBucket}`)).config).toMatchObject({ max_bytes: 2 * MIB });
  });
});
