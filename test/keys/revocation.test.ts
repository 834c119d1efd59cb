import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, OwnNatsServer, startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { admin, awaitStatus, chatWith, keysConfig, PROVIDER_KEY_ENV } from './fixtures.js';

/** Each replica's first refusal of the key after `since`, in ms: awaited replica by replica, all at once. */
async function refusalTimes(urls: readonly string[], key: string, since: number): Promise<number[]> {
  return Promise.all(
    urls.map(async (url) => {
      await awaitStatus(url, key, 'model-a', 401);
      return Date.now() - since;
    }),
  );
}

/**
 * A deleted or blocked key is refused by every ingress replica at once: each
 * one holds the key records in memory from the KV bucket and hears the
 * change on its watch, without a database read.
 */
describe('keys revocation: every replica refuses a revoked key', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let urls: string[];

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({ servers: inject('servers'), config: keysConfig(mock.url), env: PROVIDER_KEY_ENV, scale: { ingress: 3 } });
    urls = stack.ingressUrls;
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });

  it('keys revocation: a deleted key is refused by all 3 replicas (time measured from sending the delete)', async () => {
    const { body } = await admin(urls[0]!, 'POST', '/key/generate', { key_alias: 'to-revoke' });
    for (const url of urls) await awaitStatus(url, body.key, 'model-a', 200);
    const sent = Date.now();
    const deleted = await admin(urls[2]!, 'POST', '/key/delete', { keys: [body.key] });
    expect(deleted.status).toBe(200);
    const times = await refusalTimes(urls, body.key, sent);
    console.log(`keys revocation: deleted key refused by 3 replicas after ${times.join(', ')} ms`);
    const refusal = await awaitStatus(urls[1]!, body.key, 'model-a', 401);
    expect(refusal.error.message).toContain('Invalid proxy server token passed');
  });

  it('keys revocation: a blocked key is refused by all 3 replicas', async () => {
    const { body } = await admin(urls[1]!, 'POST', '/key/generate', {});
    for (const url of urls) await awaitStatus(url, body.key, 'model-a', 200);
    const sent = Date.now();
    expect((await admin(urls[0]!, 'POST', '/key/block', { key: body.key })).status).toBe(200);
    const times = await refusalTimes(urls, body.key, sent);
    console.log(`keys revocation: blocked key refused by 3 replicas after ${times.join(', ')} ms`);
  });
});

describe('keys revocation: a NATS outage keeps the last records, and the watch recovers', () => {
  let nats: OwnNatsServer;
  let mock: MockProvider;
  let stack: InProcessStack;

  beforeAll(async () => {
    nats = await OwnNatsServer.start();
    mock = await startMockProvider();
    stack = await startInProcessStack({ servers: { ...inject('servers'), natsUrl: nats.url }, config: keysConfig(mock.url), env: PROVIDER_KEY_ENV, scale: { ingress: 2 } });
  });
  afterAll(async () => {
    await stack?.stop();
    await nats?.stop();
    await mock?.close();
  });

  it('keys revocation: without NATS a known key still authenticates (the request then fails for want of a bus); after it a delete is heard again', async () => {
    const [first, second] = stack.ingressUrls as [string, string];
    const { body } = await admin(first, 'POST', '/key/generate', {});
    await awaitStatus(second, body.key, 'model-a', 200);

    await nats.kill();
    // Authenticated from the records in memory: the failure is the bus's (503), not the key's (401).
    const during = await chatWith(second, body.key, 'model-a');
    expect(during.status).toBe(503);
    expect((await chatWith(second, 'sk-never-issued-1234', 'model-a')).status).toBe(401);
    await nats.restart();

    await awaitStatus(second, body.key, 'model-a', 200, 30_000);
    // The keys service reconnects on its own schedule (until then the API answers 503, no responders).
    await eventually(async () => ((await admin(first, 'GET', '/key/list')).status === 200 ? true : undefined), 30_000, 'the keys service back');
    // The watch is back: a key made and deleted after the outage is seen by the other replica.
    const fresh = await admin(first, 'POST', '/key/generate', {});
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(200);
    await awaitStatus(second, fresh.body.key, 'model-a', 200, 10_000);
    expect((await admin(first, 'POST', '/key/delete', { keys: [body.key, fresh.body.key] })).status).toBe(200);
    await awaitStatus(second, body.key, 'model-a', 401, 10_000);
    await awaitStatus(second, fresh.body.key, 'model-a', 401, 10_000);
  });
});
