import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { NatsConnection } from 'nats';
import { connectBus } from '@switchyard/bus';
import { createUpstreamCaller, type UpstreamCallerService } from '@switchyard/upstream-caller';
import { createLogger, createMetricsRegistry } from '@switchyard/telemetry';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { chat, manyModelsConfig, post, PROVIDER_KEY_ENV, readJson } from './fixtures.js';

/*
 * The limiter hands a call off with a plain publish: no acknowledgement on
 * the request path. Whether any upstream-caller is there comes from their
 * presence beats, so these are the cases where a hand-off would otherwise go
 * to nobody: no caller yet, the last caller shut down, the last caller
 * killed without a word. Each ends in a 503 no_upstream_caller with no
 * provider call, and a caller that comes (back) is used at once.
 */

describe('request path: the limiter knows which upstream-callers are there', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });
  let mock: MockProvider;
  let stack: InProcessStack;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: manyModelsConfig(mock.url, { count: 4, modelParams: { 0: { timeout: 0.3 } } }),
      env: PROVIDER_KEY_ENV,
      scale: { 'upstream-caller': 0 },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });

  async function startCaller(presenceIntervalMs?: number): Promise<{ caller: UpstreamCallerService; nc: NatsConnection }> {
    const nc = await connectBus({ url: inject('servers').natsUrl, name: `${stack.names.prefix}-late-caller`, logger });
    const caller = createUpstreamCaller({
      nc,
      names: stack.names,
      config: stack.config,
      logger,
      registry: createMetricsRegistry('upstream-caller', 'late'),
      ...(presenceIntervalMs ? { presenceIntervalMs } : {}),
    });
    await caller.start();
    return { caller, nc };
  }

  const ask = async () => post(stack.ingressUrls[0]!, '/v1/chat/completions', chat('model-0'));

  it('no caller: 503; a caller that starts is used by the very next request; after it shuts down: 503 again, at once', async () => {
    mock.reset();
    const before = await ask();
    expect(before.status).toBe(503);
    expect((await readJson(before)).error.code).toBe('no_upstream_caller');

    const { caller, nc } = await startCaller();
    const served = await ask();
    expect(served.status).toBe(200);
    expect(mock.calls).toBe(1);

    await caller.stop();
    await nc.drain();
    const after = await ask();
    expect(after.status).toBe(503);
    expect((await readJson(after)).error.code).toBe('no_upstream_caller');
    expect(mock.calls).toBe(1);
  });

  it('a caller killed without a word is forgotten after three missed beats: from then on 503, never a call', async () => {
    mock.reset();
    const { nc } = await startCaller(100);
    expect((await ask()).status).toBe(200);
    // As a SIGKILL would: the connection goes, no "leaving" beat.
    await nc.close();
    // Sent within the last beats, a request may go to nobody and end at the ingress's own timeout (504).
    const first = await ask();
    expect([503, 504]).toContain(first.status);
    const next = await ask();
    expect(next.status).toBe(503);
    expect((await readJson(next)).error.code).toBe('no_upstream_caller');
    expect(mock.calls).toBe(1);
  }, 20_000);
});
