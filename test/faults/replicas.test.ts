import http from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ServiceName } from '@switchyard/stack';
import { createTestDatabase, eventually, startMockProvider, type MockProvider } from '../harness/index.js';
import { faultConfig, startFaultStack, type FaultStack } from './support/fault-stack.js';
import { chatBody, count, Load, newMarker, type CleanPolicy, type Outcome } from './support/load.js';
import { describeBad, maxCallsPerRequest, providerCallsByMarker, recordRows, rowOf, type ReliabilityRow } from './support/reliability.js';
import { lostOrDoubled, SignalProbe } from './support/signals.js';

/**
 * Issue 7, replicas: two of every service as processes. One replica of each
 * is SIGKILLed under load (the others carry on; what the dead ones held fails
 * cleanly, never with a second provider call, although a retry is
 * configured), then an ingress and an upstream-caller are each sent SIGTERM
 * under load (nothing they accepted is lost). At the end the learner has
 * applied every call-completed event exactly once.
 */

const TIMEOUT_S = 1;
const CLIENT_TIMEOUT_MS = TIMEOUT_S * 1000 + 5_000 + 4_000;
const CONCURRENCY = 6;
/** Longer than any request may take (the ingress waits at most timeout + 5 s for a reply). */
const GRACE_MS = 8_000;
const SERVICES: ServiceName[] = ['ingress', 'limiter', 'upstream-caller', 'learner'];

describe('faults: replicas killed and terminated under load', () => {
  let mock: MockProvider;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let stack: FaultStack;
  let signals: SignalProbe;
  let urls: string[];
  const rows: ReliabilityRow[] = [];
  const all: Outcome[] = [];
  let callsWithoutEvent = 0;

  beforeAll(async () => {
    const servers = inject('servers');
    mock = await startMockProvider({ maxRecorded: 10_000 });
    database = await createTestDatabase(servers.postgresUrl);
    stack = await startFaultStack({
      natsUrl: servers.natsUrl,
      redisUrl: servers.redisUrl,
      databaseUrl: database.url,
      // A retry is configured: a retry after a failure that is not definite would show as a second call.
      configYaml: faultConfig(mock.url, { timeoutSeconds: TIMEOUT_S, numRetries: 1, members: 2, limits: { rpm: 100_000 } }),
      scale: { ingress: 2, limiter: 2, 'upstream-caller': 2, learner: 2 },
      env: { SHUTDOWN_GRACE_MS: String(GRACE_MS) },
    });
    urls = stack.stack.ingressUrls.map((url) => url.replace(/\/v1$/, ''));
    signals = await SignalProbe.open(servers.natsUrl, database.url, stack.prefix);
  }, 90_000);

  afterAll(async () => {
    await signals?.close();
    await stack?.stop();
    await mock?.close();
    await database?.drop();
  });

  it('faults: SIGKILL one replica of each service: the others carry on, what the dead held fails cleanly, one call at most', async () => {
    mock.behave('*', { latencyMs: 300, streamChunks: 3, chunkDelayMs: 0 });
    let live = [...urls];
    const policy: CleanPolicy = { statuses: [503, 504], refusalIsClean: true };
    const load = new Load({
      label: 'kill',
      total: 100,
      concurrency: CONCURRENCY,
      timeoutMs: CLIENT_TIMEOUT_MS,
      policy,
      request: (index, marker) => ({ url: live[index % live.length]!, body: chatBody('chat', marker) }),
    });
    await load.until((done) => count(done, 'ok') >= 20, '20 requests served before the kill');
    const killedAt = Date.now();
    for (const service of SERVICES) stack.stack.kill(service, 0, 'SIGKILL');
    // The load balancer's health check takes the dead ingress out of rotation.
    live = [urls[1]!];
    await load.finished;
    const firstServed = Math.min(...load.outcomes.filter((o) => o.kind === 'ok' && o.startedAt >= killedAt).map((o) => o.finishedAt));
    await Promise.all(SERVICES.map((service) => stack.stack.restart(service, 0)));
    const back = await new Load({
      label: 'kill',
      total: 20,
      concurrency: 4,
      timeoutMs: CLIENT_TIMEOUT_MS,
      policy,
      request: (index, marker) => ({ url: urls[index % urls.length]!, body: chatBody('chat', marker) }),
    }).finished;
    const outcomes = [...load.outcomes, ...back];
    all.push(...outcomes);
    const calls = providerCallsByMarker(mock);
    const eventsNow = await signals.events();
    callsWithoutEvent = [...calls.values()].reduce((sum, n) => sum + n, 0) - eventsNow.events;
    rows.push(
      rowOf('replicas: SIGKILL one of two of each service', outcomes, mock, {
        signalsLostOrDoubled: 0,
        recoverMs: firstServed - killedAt,
        note: `recover = kill -> first request served by the surviving replicas; provider calls with no call-completed event (upstream-caller killed mid-call): ${callsWithoutEvent}`,
      }),
    );

    expect(count(outcomes, 'hung'), describeBad(outcomes)).toBe(0);
    expect(count(outcomes, 'unclean'), describeBad(outcomes)).toBe(0);
    // The others carry on: what fails is what the dead held (at most one request per client in flight at
    // the kill) and what was handed to them before NATS saw their connections close (at most one more each).
    expect(count(load.outcomes, 'clean')).toBeLessThanOrEqual(2 * CONCURRENCY);
    expect(count(load.outcomes, 'ok')).toBeGreaterThanOrEqual(100 - 2 * CONCURRENCY);
    expect(back.map((outcome) => outcome.detail)).toEqual(back.map(() => ''));
    expect(maxCallsPerRequest(outcomes, calls)).toBeLessThanOrEqual(1);
    // A request whose fate was unknown (504) was never retried: none of them made more than one call.
    for (const outcome of outcomes.filter((o) => o.status === 504)) expect(calls.get(outcome.marker) ?? 0).toBeLessThanOrEqual(1);
  }, 120_000);

  /** What the clients saw of the terminating ingress. */
  const terminating: Outcome[] = [];

  it('faults: SIGTERM an ingress under load: every request it accepted completes, the rest are refused (connection error or 503)', async () => {
    // Streams of about half a second: SIGTERM lands while responses are half written.
    mock.behave('*', { latencyMs: 50, streamChunks: 6, chunkDelayMs: 80 });
    const policy: CleanPolicy = { statuses: [503], refusalIsClean: true };
    const load = new Load({
      label: 'term',
      total: 60,
      concurrency: CONCURRENCY,
      timeoutMs: CLIENT_TIMEOUT_MS,
      policy,
      // Both ingress replicas all along: requests to the terminating one show what a client sees.
      request: (index, marker) => ({ url: urls[index % urls.length]!, body: chatBody('chat', marker, { stream: index % 2 === 0 }) }),
    });
    await load.until((done) => count(done, 'ok') >= 10, '10 requests served before SIGTERM');
    const exited = waitExit(stack, 'ingress-0');
    const termAt = Date.now();
    stack.stack.kill('ingress', 0, 'SIGTERM');
    const outcomes = await load.finished;
    const termExit = await exited;
    terminating.push(...outcomes);
    await stack.stack.restart('ingress', 0);
    const readyMs = Date.now() - termAt;
    all.push(...outcomes);
    const calls = providerCallsByMarker(mock);
    const inFlight = outcomes.filter((o) => o.url === urls[0] && o.startedAt < termAt && o.finishedAt > termAt);
    const refused = outcomes.filter((o) => o.url === urls[0] && o.kind !== 'ok');
    rows.push(
      rowOf('shutdown: SIGTERM ingress', outcomes, mock, {
        signalsLostOrDoubled: 0,
        recoverMs: readyMs,
        note: `in flight at SIGTERM on the terminating ingress: ${inFlight.length}, completed: ${inFlight.filter((o) => o.kind === 'ok').length}; refused: ${refused.filter((o) => o.status === null).length} by connection, ${refused.filter((o) => o.status === 503).length} by 503; exit code ${termExit}; recover = SIGTERM -> replacement ready`,
      }),
    );

    expect(count(outcomes, 'hung'), describeBad(outcomes)).toBe(0);
    // Every response that started completed (a broken body would be unclean); the rest were refused.
    for (const outcome of outcomes) {
      if (outcome.kind === 'ok') continue;
      expect(outcome.url, outcome.detail).toBe(urls[0]);
      expect(outcome.status === 503 || !outcome.responseStarted, outcome.detail).toBe(true);
    }
    expect(inFlight.filter((o) => o.responseStarted && o.status === 200).every((o) => o.kind === 'ok')).toBe(true);
    // The other ingress served everything sent to it.
    expect(outcomes.filter((o) => o.url === urls[1]).every((o) => o.kind === 'ok')).toBe(true);
    expect(maxCallsPerRequest(outcomes, calls)).toBeLessThanOrEqual(1);
    // A refused request never reached the provider.
    for (const outcome of refused) expect(calls.get(outcome.marker) ?? 0).toBe(0);
  }, 90_000);

  // Clients (an SDK's connection pool) with a stream in flight at SIGTERM on keep-alive connections.
  const keepAlive = { streams: [] as string[], next: null as Outcome | null, exit: null as number | string | null, exitMs: 0 };

  it('faults: SIGTERM an ingress while keep-alive clients stream: the streams complete, a next request is refused', async () => {
    mock.behave('*', { latencyMs: 0, streamChunks: 6, chunkDelayMs: 100 });
    // Client A keeps its connection idle after its stream; client B sends its next request on it.
    const [idle, reusing] = [new http.Agent({ keepAlive: true, maxSockets: 1 }), new http.Agent({ keepAlive: true, maxSockets: 1 })];
    try {
      const port = Number(new URL(urls[0]!).port);
      const streams = [idle, reusing].map((agent) => postOn(agent, port, chatBody('chat', newMarker('term'), { stream: true })));
      expect(await Promise.all(streams.map((stream) => stream.head))).toEqual([200, 200]);
      const exited = waitExit(stack, 'ingress-0');
      const termAt = Date.now();
      stack.stack.kill('ingress', 0, 'SIGTERM');
      keepAlive.streams = await Promise.all(streams.map((stream) => stream.body));
      const marker = newMarker('term');
      const next = postOn(reusing, port, chatBody('chat', marker));
      const status = await next.head.catch(() => null);
      const body = status === null ? '' : await next.body.catch(() => '');
      keepAlive.next = { ...classifyRefusal(status, body), marker };
      keepAlive.exit = await exited;
      keepAlive.exitMs = Date.now() - termAt;
      await stack.stack.restart('ingress', 0);
    } finally {
      idle.destroy();
      reusing.destroy();
    }
    for (const stream of keepAlive.streams) expect(stream.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(keepAlive.next.status === 503 || keepAlive.next.status === null).toBe(true);
    expect(providerCallsByMarker(mock).get(keepAlive.next.marker) ?? 0).toBe(0);
  }, 60_000);

  it('faults: the 503 a terminating ingress answers is an OpenAI-shaped error', () => {
    // Every 503 seen while an ingress terminated: under load, and on a reused keep-alive connection.
    const refusals = [...terminating, keepAlive.next!].filter((outcome) => outcome.status === 503);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.filter((outcome) => outcome.kind === 'unclean').map((outcome) => outcome.detail)).toEqual([]);
  });

  it('faults: a terminating ingress drains and exits 0 within its grace period although a client keeps an idle keep-alive connection', () => {
    // The service exits 1 when its grace period runs out before the drain finished.
    expect(keepAlive.exit, `exited after ${keepAlive.exitMs} ms`).toBe(0);
  });

  it('faults: SIGTERM an upstream-caller under load: it finishes its calls, the other takes new ones, nothing fails', async () => {
    mock.behave('*', { latencyMs: 300, streamChunks: 4, chunkDelayMs: 60 });
    const policy: CleanPolicy = { statuses: [] };
    const before = (await signals.events()).events;
    const callsBefore = mock.calls;
    const load = new Load({
      label: 'term',
      total: 60,
      concurrency: CONCURRENCY,
      timeoutMs: CLIENT_TIMEOUT_MS,
      policy,
      request: (index, marker) => ({ url: urls[index % urls.length]!, body: chatBody('chat', marker, { stream: index % 3 === 0 }) }),
    });
    await load.until((done) => count(done, 'ok') >= 10, '10 requests served before SIGTERM');
    const exited = waitExit(stack, 'upstream-caller-0');
    const termAt = Date.now();
    stack.stack.kill('upstream-caller', 0, 'SIGTERM');
    const outcomes = await load.finished;
    const exit = await exited;
    await stack.stack.restart('upstream-caller', 0);
    const readyMs = Date.now() - termAt;
    all.push(...outcomes);
    const calls = providerCallsByMarker(mock);
    // Every call of the terminated caller published its event before it exited.
    const events = await eventually(async () => {
      const total = (await signals.events()).events;
      return total - before >= mock.calls - callsBefore ? total - before : undefined;
    }, 10_000, 'the call-completed events of every call').catch(async () => (await signals.events()).events - before);
    rows.push(
      rowOf('shutdown: SIGTERM upstream-caller', outcomes, mock, {
        signalsLostOrDoubled: Math.abs(mock.calls - callsBefore - events),
        recoverMs: readyMs,
        note: `exit code ${exit}; provider calls ${mock.calls - callsBefore}, call-completed events ${events}; recover = SIGTERM -> replacement ready`,
      }),
    );

    expect(count(outcomes, 'hung'), describeBad(outcomes)).toBe(0);
    expect(count(outcomes, 'ok'), describeBad(outcomes)).toBe(outcomes.length);
    expect(exit).toBe(0);
    expect(maxCallsPerRequest(outcomes, calls)).toBe(1);
    expect(events).toBe(mock.calls - callsBefore);
  }, 90_000);

  it('faults: after all that, the learners applied every call-completed event exactly once', async () => {
    let settled: Awaited<ReturnType<SignalProbe['settled']>> | null = null;
    try {
      // Events a killed learner had taken but not acked come back after the consumer's ack wait.
      settled = await signals.settled(1, 60_000);
    } finally {
      const lost = settled ? lostOrDoubled(settled.events, settled.usage) : Number.NaN;
      for (const row of rows) row.signalsLostOrDoubled += lost;
      await recordRows(rows);
    }
    const { events, usage } = settled;
    expect(lostOrDoubled(events, usage)).toBe(0);
    expect([usage.promptTokens, usage.completionTokens]).toEqual([events.promptTokens, events.completionTokens]);
    // One event per provider call that finished: none doubled by a redelivery or a retry.
    expect([...events.byRequest.values()].every((n) => n === 1)).toBe(true);
    expect(all.length).toBeGreaterThan(0);
  }, 90_000);
});

/** Resolves with the exit code of a replica once it exited after a signal sent by the test. */
async function waitExit(stack: FaultStack, name: string): Promise<number | string | null> {
  const seen = stack.exits.length;
  const exit = await eventually(async () => stack.exits.slice(seen).find((e) => e.name === name), 30_000, `${name} to exit`);
  return exit.code ?? exit.signal;
}

/** A POST over `agent` (its socket stays in the agent's pool afterwards): the status once the head arrives, then the body. */
function postOn(agent: http.Agent, port: number, body: unknown): { head: Promise<number>; body: Promise<string> } {
  let resolveHead: (status: number) => void = () => undefined;
  let rejectHead: (error: Error) => void = () => undefined;
  const head = new Promise<number>((resolve, reject) => {
    resolveHead = resolve;
    rejectHead = reject;
  });
  const text = new Promise<string>((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent, headers: { 'content-type': 'application/json' }, timeout: 10_000 },
      (response) => {
        resolveHead(response.statusCode ?? 0);
        let data = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (data += chunk));
        response.on('end', () => resolve(data));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('no answer within 10 s')));
    request.on('error', (error) => {
      rejectHead(error);
      reject(error);
    });
    request.end(JSON.stringify(body));
  });
  // Either may go unread after a refusal; neither is then an unhandled rejection.
  head.catch(() => undefined);
  text.catch(() => undefined);
  return { head, body: text };
}

/** A refusal as the load classifies it: a connection error, or a 503 that must be OpenAI-shaped. */
function classifyRefusal(status: number | null, body: string): Omit<Outcome, 'marker'> {
  const base = { url: '', code: null, responseStarted: status !== null, retryAfter: null, startedAt: 0, finishedAt: 0, status, body };
  if (status === null) return { ...base, kind: 'clean', detail: 'refused: connection error' };
  let json: any = null;
  try {
    json = JSON.parse(body);
  } catch {
    // judged below
  }
  const shaped = typeof json?.error?.message === 'string' && typeof json?.error?.type === 'string' && 'code' in json.error && 'param' in json.error;
  return { ...base, kind: shaped ? 'clean' : 'unclean', detail: `${status} ${body.slice(0, 200)}` };
}
