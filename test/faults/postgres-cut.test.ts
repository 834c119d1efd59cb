import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, eventually, startMockProvider, startTcpProxy, viaProxy, type MockProvider, type TcpProxy } from '../harness/index.js';
import { faultConfig, startFaultStack, type FaultStack } from './support/fault-stack.js';
import { chatBody, count, Load, type CleanPolicy } from './support/load.js';
import { describeBad, maxCallsPerRequest, providerCallsByMarker, recordRows, rowOf } from './support/reliability.js';
import { lostOrDoubled, SignalProbe } from './support/signals.js';

/**
 * Issue 7: the learner's Postgres goes away under load (its connections are
 * reset and new ones refused, by a proxy the test cuts). The request path
 * does not depend on it, so every request is served; the learner stops
 * acking, the call-completed events wait in JetStream, and when Postgres is
 * back the learner catches up: deployment_usage ends equal to what the events
 * say, every provider call counted once.
 */

const TIMEOUT_S = 2;
const CLIENT_TIMEOUT_MS = TIMEOUT_S * 1000 + 5_000 + 4_000;
const POLICY: CleanPolicy = { statuses: [] };

describe('faults: Postgres cut and restored under load', () => {
  let mock: MockProvider;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let stack: FaultStack;
  let signals: SignalProbe;

  beforeAll(async () => {
    const servers = inject('servers');
    mock = await startMockProvider({ maxRecorded: 10_000 });
    database = await createTestDatabase(servers.postgresUrl);
    const target = new URL(servers.postgresUrl);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    stack = await startFaultStack({
      natsUrl: servers.natsUrl,
      redisUrl: servers.redisUrl,
      databaseUrl: viaProxy(database.url, proxy),
      configYaml: faultConfig(mock.url, { timeoutSeconds: TIMEOUT_S, members: 2 }),
      scale: { ingress: 1, limiter: 1, 'upstream-caller': 1, learner: 1 },
    });
    // The test reads the tables directly, never through the proxy it cuts.
    signals = await SignalProbe.open(servers.natsUrl, database.url, stack.prefix);
  }, 90_000);

  afterAll(async () => {
    await signals?.close();
    await stack?.stop();
    await proxy?.close();
    await mock?.close();
    await database?.drop();
  });

  let learnerExits: string[] = [];
  let crashOutput = '';

  it('faults: learner stops acking while Postgres is cut, catches up exactly when it returns', async () => {
    mock.behave('*', { latencyMs: 20 });
    const url = stack.stack.ingressUrls[0]!.replace(/\/v1$/, '');
    const load = new Load({
      label: 'pg',
      total: 90,
      concurrency: 3,
      timeoutMs: CLIENT_TIMEOUT_MS,
      policy: POLICY,
      request: (_index, marker) => ({ url, body: chatBody('chat', marker) }),
    });
    await load.until((done) => count(done, 'ok') >= 20, '20 requests served before the cut');
    const before = await eventually(async () => {
      const usage = await signals.usage();
      return usage.calls >= 1 ? usage : undefined;
    }, 15_000, 'the learner to apply events before the cut');
    await proxy.cut();
    const cutAt = Date.now();
    // The learner notices: its readiness fails on the postgres check.
    await eventually(async () => ((await stack.ready([['learner', 0]], 1).catch(() => -1)) === -1 ? true : undefined), 15_000, 'the learner to report not ready');
    await load.until((done) => count(done, 'ok') >= 60, '40 more requests served while Postgres is cut');
    // While cut: events wait unacked in JetStream and the totals do not move.
    const whileCut = { unacked: await signals.unacked(), usage: await signals.usage() };
    await proxy.restore();
    const restoredAt = Date.now();
    // A learner that died of the outage is started again, as an orchestrator would (judged by the next test).
    learnerExits = stack.exits.filter((exit) => exit.service === 'learner' && !exit.expected).map((exit) => `${exit.name}: ${exit.code ?? exit.signal}`);
    crashOutput = stack.output.filter((line) => line.startsWith('learner-0') && !line.includes('"level":"info"')).slice(0, 12).join('\n');
    if (learnerExits.length > 0) await stack.stack.restart('learner', 0);
    await stack.ready([['learner', 0]], 30_000);
    const outcomes = await load.finished;
    const { events, usage } = await signals.settled(outcomes.length);
    const caughtUpMs = Date.now() - restoredAt;

    const calls = providerCallsByMarker(mock);
    const providerCalls = [...calls.values()].reduce((sum, n) => sum + n, 0);
    await recordRows([
      rowOf('postgres: connections cut and restored', outcomes, mock, {
        signalsLostOrDoubled: lostOrDoubled(events, usage) + Math.abs(providerCalls - usage.calls),
        recoverMs: caughtUpMs,
        note: `${learnerExits.length > 0 ? `learner died of the outage and was restarted (${learnerExits.join(', ')}); ` : ''}${restoredAt - cutAt} ms cut; ${whileCut.unacked} events unacked while cut; recover = restore -> deployment_usage equal to the events; provider calls ${providerCalls}, events ${events.events}, applied ${usage.calls}`,
      }),
    ]);

    expect(count(outcomes, 'hung'), describeBad(outcomes)).toBe(0);
    expect(count(outcomes, 'ok'), describeBad(outcomes)).toBe(outcomes.length);
    expect(maxCallsPerRequest(outcomes, calls)).toBe(1);
    expect(whileCut.unacked).toBeGreaterThan(0);
    expect(whileCut.usage.calls).toBeLessThan(providerCalls);
    expect(whileCut.usage.calls).toBeGreaterThanOrEqual(before.calls);
    // Caught up: one applied call per provider call, tokens as the events (and the provider) say.
    expect(events.events).toBe(providerCalls);
    expect(usage.calls).toBe(providerCalls);
    expect(usage.processedEvents).toBe(providerCalls);
    expect([usage.promptTokens, usage.completionTokens]).toEqual([events.promptTokens, events.completionTokens]);
  }, 120_000);

  it('faults: the learner survives a Postgres outage by itself (no crash, no restart needed)', () => {
    expect(learnerExits, crashOutput).toEqual([]);
  });
});
