import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OtlpReceiver, startMockProvider, type MockProvider } from '../harness/index.js';
import { startProcessStack, type ProcessStack } from '../observability/stack-processes.js';
import { admin, awaitStatus, chatWith, keysConfig, PROVIDER_KEY_ENV } from './fixtures.js';

/**
 * A virtual key lives only in the client and in the one /key/generate
 * answer: every service as a real process (the keys service included), with
 * their logs, their exported spans and every message on the bus captured
 * while the key is made, used, refused, looked up and deleted. The hash is
 * there (the capture works); the key never is.
 */
describe('keys secrets: no virtual key in any log line, span or bus message', () => {
  let receiver: OtlpReceiver;
  let mock: MockProvider;
  let running: ProcessStack;
  let tap: NatsConnection;
  const busText: string[] = [];
  let key = '';
  let hash = '';

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    mock = await startMockProvider();
    running = await startProcessStack({
      servers: inject('servers'),
      configYaml: keysConfig(mock.url),
      scale: { ingress: 1, limiter: 1, 'upstream-caller': 1, learner: 1, keys: 1 },
      env: {
        ...PROVIDER_KEY_ENV,
        LOG_LEVEL: 'debug',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      },
    });
    // Everything on the bus: core subjects, JetStream and the KV bucket's `$KV.` subjects alike.
    tap = await connect({ servers: inject('servers').natsUrl });
    const everything = tap.subscribe('>');
    void (async () => {
      for await (const msg of everything) {
        const headers = msg.headers ? [...msg.headers.keys()].map((name) => `${name}: ${msg.headers!.values(name).join(',')}`).join('\n') : '';
        busText.push(`${msg.subject}\n${headers}\n${Buffer.from(msg.data).toString('utf8')}`);
      }
    })();

    const url = running.stack.ingressUrls[0]!.replace(/\/v1$/, '');
    const made = await admin(url, 'POST', '/key/generate', { models: ['model-a'], key_alias: 'leak-check', rpm_limit: 100 });
    expect(made.status).toBe(200);
    key = made.body.key;
    hash = made.body.token;
    await awaitStatus(url, key, 'model-a', 200, 10_000);
    expect((await chatWith(url, key, 'model-b')).status).toBe(401);
    expect((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await admin(url, 'GET', `/key/info?key=${key}`)).status).toBe(200);
    expect((await admin(url, 'POST', '/key/update', { key, rpm_limit: 5 })).status).toBe(200);
    expect((await admin(url, 'POST', '/key/delete', { keys: [key] })).status).toBe(200);
    expect((await chatWith(url, key, 'model-a')).status).toBe(401);
  }, 180_000);

  afterAll(async () => {
    await tap?.drain();
    await running?.stop();
    await mock?.close();
    await receiver?.close();
  });

  it('keys secrets: the bus carried the hash (records, envelopes), never the key', async () => {
    const joined = () => busText.join('\n');
    await expect.poll(() => joined().includes(hash), { timeout: 10_000 }).toBe(true);
    expect(joined().includes(key)).toBe(false);
    expect(joined().includes(key.slice(3))).toBe(false);
  });

  it('keys secrets: no log line of any service holds the key; the audit line names the alias', async () => {
    await expect.poll(() => running.output.filter((line) => line.includes('"audit":true') && line.includes('"keyAlias":"leak-check"')).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const logs = running.output.join('\n');
    expect(logs.includes(key)).toBe(false);
    expect(logs.includes(key.slice(3))).toBe(false);
    expect(logs).toContain('keys-0');
  });

  it('keys secrets: no exported span holds the key', async () => {
    await expect.poll(() => receiver.spans.filter((span) => span.service === 'ingress' && span.attributes['switchyard.key_alias'] === 'leak-check').length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    const spans = JSON.stringify(receiver.spans);
    expect(spans.includes(key)).toBe(false);
    expect(spans.includes(key.slice(3))).toBe(false);
  });
});
