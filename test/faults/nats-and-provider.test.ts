import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MockProviderBehaviour } from '../harness/index.js';
import { createTestDatabase, eventually, OwnNatsServer, OwnRedisServer, startMockProvider, type MockProvider } from '../harness/index.js';
import { LEARNER_ACK_WAIT_MS, startFaultStack, type FaultStack } from './support/fault-stack.js';
import { chatBody, count, Load, newMarker, sendOne, untilServed, type CleanPolicy, type Outcome } from './support/load.js';
import { describeBad, maxCallsPerRequest, providerCallsByMarker, recordRows, rowOf, type ReliabilityRow } from './support/reliability.js';
import { lostOrDoubled, SignalProbe } from './support/signals.js';

/**
 * Issue 7 on one stack of processes (one replica of each service) with a
 * NATS and a Redis of its own, a master key and a provider key:
 *  - provider faults (slow, dropped connections, 500, 429, garbage JSON, a
 *    stream cut halfway): each a defined OpenAI-shaped error, one provider
 *    call, and an audit line that says what happened;
 *  - NATS SIGKILLed under load, down 6 s, restarted: no hang, clear 503/504s, every
 *    service reconnects by itself, no double call, traffic resumes;
 *  - no secret in anything any service printed;
 *  - at the end, every call-completed event applied exactly once.
 */

const TIMEOUT_S = 1;
/** The ingress waits the deployment timeout plus 5 s for a reply before its 504; the client waits longer still. */
const CLIENT_TIMEOUT_MS = TIMEOUT_S * 1000 + 5_000 + 4_000;
/** How long NATS stays down: longer than the 5 s a JetStream publish waits for its ack. */
const OUTAGE_MS = 6_000;
const MASTER_KEY = 'sk-faults-master-4f1c9e2a7b';
const PROVIDER_KEY = 'sk-faults-provider-8d3e6a1f0c';
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };
const HEALTHY: Partial<MockProviderBehaviour> = {
  latencyMs: 0,
  status: 200,
  errorBody: undefined,
  retryAfter: 0,
  dropConnection: false,
  garbage: false,
  cutStreamAfter: Number.POSITIVE_INFINITY,
};

interface ProviderFault {
  fault: string;
  /** Model group (and provider model) that misbehaves. */
  model: string;
  behaviour: Partial<MockProviderBehaviour>;
  stream?: boolean;
  /** What the client gets. */
  status: number;
  code: string;
  retryAfter?: string;
  /** The audit line's outcome. */
  outcome: string;
}

const PROVIDER_FAULTS: ProviderFault[] = [
  { fault: 'provider: slow (timeout)', model: 'slow', behaviour: { latencyMs: 3_000 }, status: 504, code: 'upstream_timeout', outcome: 'upstream_timeout' },
  { fault: 'provider: drops connections', model: 'drop', behaviour: { dropConnection: true }, status: 502, code: 'upstream_unreachable', outcome: 'upstream_unreachable' },
  { fault: 'provider: 500', model: 'e500', behaviour: { status: 500 }, status: 502, code: 'upstream_error', outcome: 'upstream_error' },
  {
    fault: 'provider: 429 with Retry-After',
    model: 'e429',
    behaviour: { status: 429, retryAfter: 7 },
    status: 429,
    code: 'rate_limit_exceeded',
    retryAfter: '7',
    outcome: 'rate_limit_exceeded',
  },
  { fault: 'provider: garbage JSON', model: 'garbage', behaviour: { garbage: true }, status: 502, code: 'upstream_invalid_response', outcome: 'upstream_invalid_response' },
  {
    fault: 'provider: stream cut halfway',
    model: 'cut',
    behaviour: { streamChunks: 4, cutStreamAfter: 2, chunkDelayMs: 20 },
    stream: true,
    // The head went out with 200: the failure is an error event, then the stream closes.
    status: 200,
    code: 'upstream_stream_interrupted',
    outcome: 'upstream_error',
  },
];

function gatewayConfig(mockUrl: string): string {
  const models = ['chat', ...PROVIDER_FAULTS.map((fault) => fault.model)];
  const entries = models.map((model) =>
    [
      `  - model_name: ${model}`,
      '    litellm_params:',
      `      model: openai/${model}-model`,
      `      api_base: ${mockUrl}`,
      '      api_key: os.environ/FAULTS_PROVIDER_KEY',
      `      timeout: ${TIMEOUT_S}`,
    ].join('\n'),
  );
  return [
    'model_list:',
    ...entries,
    'router_settings:',
    '  num_retries: 0',
    'general_settings:',
    '  master_key: os.environ/FAULTS_MASTER_KEY',
    '  on_limiter_unavailable: reject',
    '',
  ].join('\n');
}

describe('faults: provider faults, then NATS killed and restarted under load', () => {
  let nats: OwnNatsServer;
  let redis: OwnRedisServer;
  let mock: MockProvider;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let stack: FaultStack;
  let signals: SignalProbe;
  let url: string;
  const rows: ReliabilityRow[] = [];
  const bodies: string[] = [];

  beforeAll(async () => {
    [nats, redis, mock] = await Promise.all([OwnNatsServer.start(), OwnRedisServer.start(), startMockProvider({ maxRecorded: 10_000 })]);
    database = await createTestDatabase(inject('servers').postgresUrl);
    stack = await startFaultStack({
      natsUrl: nats.url,
      redisUrl: redis.url,
      databaseUrl: database.url,
      configYaml: gatewayConfig(mock.url),
      scale: { ingress: 1, limiter: 1, 'upstream-caller': 1, learner: 1 },
      // Debug logs: the more the services say, the more places a secret could leak into.
      env: { FAULTS_MASTER_KEY: MASTER_KEY, FAULTS_PROVIDER_KEY: PROVIDER_KEY, LOG_LEVEL: 'debug' },
    });
    url = stack.stack.ingressUrls[0]!.replace(/\/v1$/, '');
    signals = await SignalProbe.open(nats.url, database.url, stack.prefix);
  }, 90_000);

  afterAll(async () => {
    await signals?.close();
    await stack?.stop();
    await Promise.all([nats?.stop(), redis?.stop(), mock?.close()]);
    await database?.drop();
  });

  for (const fault of PROVIDER_FAULTS) {
    it(`faults: ${fault.fault} -> ${fault.status} ${fault.code}, one provider call, an audit line that says so`, async () => {
      mock.behave(`${fault.model}-model`, { ...HEALTHY, ...fault.behaviour });
      const policy: CleanPolicy = { statuses: [fault.status], streamErrorIsClean: fault.stream === true };
      const request = (_index: number, marker: string) => ({
        url,
        headers: AUTH,
        body: chatBody(fault.model, marker, fault.stream ? { stream: true } : {}),
      });
      const outcomes = await new Load({ label: 'prov', total: 8, concurrency: 4, timeoutMs: CLIENT_TIMEOUT_MS, policy, request }).finished;
      bodies.push(...outcomes.map((outcome) => outcome.body));
      mock.behave(`${fault.model}-model`, HEALTHY);
      const healed = await untilServed((marker) => request(0, marker), { statuses: [] }, CLIENT_TIMEOUT_MS, 'prov');
      const all = [...outcomes, ...healed.outcomes];
      const calls = providerCallsByMarker(mock);
      const audit = stack.audit();
      rows.push(rowOf(fault.fault, all, mock, { signalsLostOrDoubled: 0, recoverMs: healed.recoveredMs, note: 'recover = provider healthy again -> first request served' }));

      expect(count(all, 'hung'), describeBad(all)).toBe(0);
      expect(count(outcomes, 'clean'), describeBad(outcomes)).toBe(outcomes.length);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe(fault.status);
        expect(outcome.code).toBe(fault.code);
        if (fault.retryAfter) expect(outcome.retryAfter).toBe(fault.retryAfter);
        if (fault.stream) {
          // Content first, then the error event, then the end of the stream (no [DONE]).
          const events = outcome.body.split('\n\n').filter((event) => event.startsWith('data: '));
          expect(events.length).toBeGreaterThanOrEqual(2);
          expect(events[0]).toContain('"delta"');
          expect(JSON.parse(events.at(-1)!.slice('data: '.length))).toMatchObject({ error: { code: fault.code } });
        }
        expect(calls.get(outcome.marker)).toBe(1);
        expect(audit.get(outcome.marker)).toMatchObject({ audit: true, status: fault.status, outcome: fault.outcome, providerCalls: 1 });
      }
      expect(maxCallsPerRequest(all, calls)).toBe(1);
    }, 60_000);
  }

  // The NATS scenario runs once; the tests after it each judge one promise of it.
  let natsOutcomes: Outcome[] = [];
  let restartedAt = 0;

  it('faults: NATS SIGKILLed under load and restarted: no hang, services reconnect by themselves, no double call, traffic resumes', async () => {
    mock.behave('chat-model', { ...HEALTHY, latencyMs: 150 });
    const policy: CleanPolicy = { statuses: [503, 504] };
    const request = (_index: number, marker: string) => ({ url, headers: AUTH, body: chatBody('chat', marker) });
    const load = new Load({ label: 'nats', total: 60, concurrency: 4, timeoutMs: CLIENT_TIMEOUT_MS, policy, request });
    await load.until((done) => count(done, 'ok') >= 12, '12 requests served before the kill');
    const killedAt = Date.now();
    await nats.kill();
    await waitNotReady(stack);
    // The fault: NATS stays down for OUTAGE_MS (a restart as an orchestrator does it takes seconds),
    // longer than a JetStream publish waits for its ack.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, killedAt + OUTAGE_MS - Date.now())));
    await nats.restart();
    restartedAt = Date.now();
    const [reconnectMs, probe] = await Promise.all([stack.allReady(30_000), untilServed((marker) => request(0, marker), policy, CLIENT_TIMEOUT_MS, 'nats')]);
    await load.finished;
    // Traffic resumes: a bounded batch after recovery, every request served.
    const resumed = await new Load({ label: 'nats', total: 20, concurrency: 4, timeoutMs: CLIENT_TIMEOUT_MS, policy, request }).finished;
    natsOutcomes = [...load.outcomes, ...probe.outcomes, ...resumed];
    bodies.push(...natsOutcomes.map((outcome) => outcome.body));
    const calls = providerCallsByMarker(mock);
    const providerCalls = natsOutcomes.reduce((sum, outcome) => sum + (calls.get(outcome.marker) ?? 0), 0);
    rows.push(
      rowOf('nats: SIGKILL and restart', natsOutcomes, mock, {
        signalsLostOrDoubled: 0,
        recoverMs: probe.recoveredMs,
        note: `${OUTAGE_MS} ms down; every /readyz 200 again ${reconnectMs} ms after the restart; provider calls ${providerCalls}`,
      }),
    );

    expect(count(natsOutcomes, 'hung'), describeBad(natsOutcomes)).toBe(0);
    expect(count(load.outcomes, 'ok')).toBeGreaterThanOrEqual(12);
    expect(resumed.map((outcome) => outcome.detail)).toEqual(resumed.map(() => ''));
    expect(maxCallsPerRequest(natsOutcomes, calls)).toBeLessThanOrEqual(1);
  }, 120_000);

  it('faults: every request that failed during the NATS outage failed with a clear 503/504', () => {
    expect(natsOutcomes.length).toBeGreaterThan(0);
    expect(count(natsOutcomes, 'unclean'), describeBad(natsOutcomes)).toBe(0);
  });

  it('faults: secrets: neither the master key nor the provider key appears in any service output or response body', async () => {
    // Without the key, with a wrong one that extends the real one, with the key against a provider
    // that echoes the gateway's key in its errors (as OpenAI's 401 does).
    mock.behave('chat-model', { ...HEALTHY, status: 401, errorBody: { error: { message: `Incorrect API key provided: ${PROVIDER_KEY}.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } });
    const attempts = [
      {},
      { authorization: `Bearer ${MASTER_KEY}x` },
      { authorization: MASTER_KEY },
      AUTH,
    ];
    for (const headers of attempts) {
      const marker = newMarker('secret');
      const outcome = await sendOne({ url, headers, marker, body: chatBody('chat', marker) }, { statuses: [401, 502] }, CLIENT_TIMEOUT_MS);
      bodies.push(outcome.body);
      expect(outcome.kind, outcome.detail).toBe('clean');
    }
    mock.behave('chat-model', { ...HEALTHY, status: 400, errorBody: { error: { message: `Bad request for key ${PROVIDER_KEY}`, type: 'invalid_request_error', param: PROVIDER_KEY, code: null } } });
    const marker = newMarker('secret');
    const echoed = await sendOne({ url, headers: AUTH, marker, body: chatBody('chat', marker) }, { statuses: [400] }, CLIENT_TIMEOUT_MS);
    bodies.push(echoed.body);
    mock.behave('chat-model', HEALTHY);
    // Every provider call carried the key: the secret really was in play.
    expect(mock.requests.some((request) => request.headers.authorization === `Bearer ${PROVIDER_KEY}`)).toBe(true);

    const leaks = [...stack.output, ...bodies].filter((text) => text.includes(MASTER_KEY) || text.includes(PROVIDER_KEY));
    expect(stack.output.length).toBeGreaterThan(100);
    expect(leaks).toEqual([]);
  });

  it('faults: every provider call made around the NATS outage has its call-completed event (no lost signal)', async () => {
    const calls = providerCallsByMarker(mock);
    // An event the upstream-caller could not publish during the outage is retried until JetStream takes it.
    let missing: string[] = [];
    await eventually(
      async () => {
        const { events } = await signals.settled(1);
        missing = natsOutcomes
          .filter((outcome) => (calls.get(outcome.marker) ?? 0) > (events.byRequest.get(outcome.marker) ?? 0))
          .map((outcome) => outcome.marker);
        return missing.length === 0 ? true : undefined;
      },
      30_000,
      'a call-completed event for every provider call',
    ).catch(() => undefined);
    expect(missing).toEqual([]);
  }, 60_000);

  it('faults: at the end the learner applied every call-completed event exactly once', async () => {
    let settled: Awaited<ReturnType<SignalProbe['settled']>> | null = null;
    try {
      // Events the killed server had delivered but whose acks it lost come back after the consumer's ack wait.
      settled = await signals.settled(1);
    } finally {
      const caughtUpMs = Date.now() - restartedAt;
      const lost = settled ? lostOrDoubled(settled.events, settled.usage) : Number.NaN;
      for (const row of rows) row.signalsLostOrDoubled += lost;
      const nats = rows.find((row) => row.fault.startsWith('nats'));
      if (nats && settled) {
        const calls = providerCallsByMarker(mock);
        const missing = natsOutcomes.filter((o) => (calls.get(o.marker) ?? 0) > (settled!.events.byRequest.get(o.marker) ?? 0)).length;
        nats.signalsLostOrDoubled += missing;
        nats.note += `, call-completed events never published: ${missing}; learner caught up ${caughtUpMs} ms after the restart (learner ack wait ${LEARNER_ACK_WAIT_MS} ms)`;
      }
      await recordRows(rows);
    }
    const { events, usage } = settled!;
    expect(lostOrDoubled(events, usage)).toBe(0);
    expect([usage.promptTokens, usage.completionTokens]).toEqual([events.promptTokens, events.completionTokens]);
    expect([...events.byRequest.values()].every((n) => n === 1)).toBe(true);
  }, 60_000);
});

/** Polls the ingress's /readyz until it reports the outage (or 5 s pass: then the outage was shorter than a poll). */
async function waitNotReady(stack: FaultStack): Promise<void> {
  const deadline = Date.now() + 5_000;
  const replica = stack.stack.replicas.find((r) => r.service === 'ingress')!;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${replica.port}/readyz`, { signal: AbortSignal.timeout(500) });
      await response.arrayBuffer();
      if (response.status !== 200) return;
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
