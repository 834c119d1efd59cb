import { connect } from 'nats';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { manyModelsConfig, post, PROVIDER_KEY_ENV, sseEvents, sseJson } from '../request-path/fixtures.js';
import { captureLogs, type CapturedLogs } from './audit-log.js';
import { sendLeaving } from './leaving-client.js';

/**
 * A client's `x-request-id` is a label, never a key: two clients that send
 * the same one (by accident or on purpose), through different ingress
 * replicas, each get exactly their own answer, and one's hang-up cancels
 * only its own call. The gateway keys bodies, inboxes and cancellations by
 * its own server id, sent back as `x-switchyard-request-id`.
 */

const TRIALS = 6;
const SERVER_ID = /^req_[0-9a-f]{32}$/;

/** A chat whose last user message is `marker` (the mock echoes it), padded to `padding` bytes before it. */
function chatBody(marker: string, padding: number, extra: Record<string, unknown> = {}): string {
  const messages = [
    ...(padding > 0 ? [{ role: 'user', content: 'p'.repeat(padding) }, { role: 'assistant', content: 'noted' }] : []),
    { role: 'user', content: marker },
  ];
  return JSON.stringify({ model: 'model-0', messages, ...extra });
}

interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

async function ask(url: string, body: string, clientId: string): Promise<Answer> {
  const response = await post(url, '/v1/chat/completions', body, { 'x-request-id': clientId });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** The text a client read: the message content, or the concatenated stream deltas. */
function contentOf(answer: Answer): string {
  if (answer.headers.get('content-type')?.startsWith('text/event-stream')) {
    return sseJson(sseEvents(answer.text).events)
      .map((chunk) => chunk.choices?.[0]?.delta?.content ?? '')
      .join('');
  }
  try {
    return JSON.parse(answer.text).choices?.[0]?.message?.content ?? answer.text;
  } catch {
    return answer.text;
  }
}

describe('security: client request ids are never keys', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let logs: CapturedLogs;
  let urls: [string, string];
  let maxPayload: number;

  beforeAll(async () => {
    const nc = await connect({ servers: inject('servers').natsUrl });
    maxPayload = nc.info!.max_payload;
    await nc.close();
    mock = await startMockProvider();
    logs = captureLogs();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: manyModelsConfig(mock.url, { count: 4, maxRequestBodyBytes: 8 * 1024 * 1024 }),
      env: PROVIDER_KEY_ENV,
      scale: { ingress: 2, 'upstream-caller': 2 },
      logger: logs.logger,
    });
    urls = [stack.ingressUrls[0]!, stack.ingressUrls[1]!];
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  /**
   * Runs TRIALS pairs of concurrent requests sharing one client id, one through each replica:
   * each client must read its own answer, its own id echoed, and a server id of its own.
   */
  async function collidingTrials(padding: number, extra: Record<string, unknown> = {}): Promise<void> {
    const wrong: string[] = [];
    const headers: Array<{ clientId: string; echoed: string | null; server: string | null }> = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const clientId = `collide-${padding}-${trial}-${Date.now()}`;
      const markers = [`alpha-${trial}`, `bravo-${trial}`] as const;
      const answers = await Promise.all(markers.map((marker, i) => ask(urls[i as 0 | 1], chatBody(marker, padding, extra), clientId)));
      answers.forEach((answer, i) => {
        const content = contentOf(answer);
        if (answer.status !== 200 || !content.includes(markers[i]!) || content.includes(markers[1 - i]!)) {
          wrong.push(`trial ${trial} client ${markers[i]}: ${answer.status} ${content.slice(0, 120)}`);
        }
      });
      headers.push(...answers.map((answer) => ({ clientId, echoed: answer.headers.get('x-request-id'), server: answer.headers.get('x-switchyard-request-id') })));
    }
    expect(wrong).toEqual([]);
    for (const seen of headers) {
      expect(seen.echoed).toBe(seen.clientId);
      expect(seen.server).toMatch(SERVER_ID);
    }
    expect(new Set(headers.map((seen) => seen.server)).size).toBe(headers.length);
  }

  it('security: two clients sending one x-request-id with bodies larger than a bus message each get their own answer', async () => {
    expect(Buffer.byteLength(chatBody('x', maxPayload))).toBeGreaterThan(maxPayload);
    await collidingTrials(maxPayload);
    expect(mock.calls).toBe(2 * TRIALS);
  });

  it('security: two clients sending one x-request-id with small bodies each get their own answer', async () => {
    await collidingTrials(0);
  });

  it('security: two clients streaming under one x-request-id, large bodies, each get their own stream', async () => {
    await collidingTrials(maxPayload, { stream: true });
  });

  it("security: one client's hang-up cancels only its own stream, not another's with the same x-request-id", async () => {
    mock.behave('provider-model-0', { streamChunks: 20, chunkDelayMs: 100, reply: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ') });
    const clientId = `hangup-${Date.now()}`;
    const leaving = sendLeaving(urls[0], '/v1/chat/completions', JSON.parse(chatBody('leaver', 0, { stream: true })), { 'x-request-id': clientId });
    const staying = ask(urls[1], chatBody('stayer', 0, { stream: true }), clientId);
    await mock.waitForCalls(2);
    await leaving.firstBytes(); // the first bytes arrived: the client now leaves mid-stream
    leaving.leave();

    const answer = await staying;
    expect(answer.status).toBe(200);
    expect(sseEvents(answer.text).events.at(-1)).toBe('data: [DONE]');
    expect(contentOf(answer)).toContain('w39');
    await mock.waitForAborted(1);
    expect(mock.aborted).toBe(1);
  });

  it('security: x-request-id echoes the client id, else the server id; the audit line carries both', async () => {
    const own = await post(urls[0], '/v1/chat/completions', chatBody('labelled', 0), { 'x-request-id': 'my-trace-1' });
    expect(own.status).toBe(200);
    const serverId = own.headers.get('x-switchyard-request-id')!;
    expect(own.headers.get('x-request-id')).toBe('my-trace-1');
    const line = await logs.waitForAudit((entry) => entry.requestId === serverId);
    expect(line.clientRequestId).toBe('my-trace-1');

    // An id that could inject anything into a header or a log line is not echoed.
    const unsafe = await post(urls[0], '/v1/chat/completions', chatBody('unsafe', 0), { 'x-request-id': 'a b"c' });
    expect(unsafe.headers.get('x-request-id')).toBe(unsafe.headers.get('x-switchyard-request-id'));
    expect((await logs.waitForAudit((entry) => entry.requestId === unsafe.headers.get('x-switchyard-request-id'))).clientRequestId).toBeNull();

    // Errors carry both ids too.
    const failed = await post(urls[1], '/v1/chat/completions', { model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }, { 'x-request-id': 'my-trace-2' });
    expect(failed.status).toBe(404);
    expect(failed.headers.get('x-request-id')).toBe('my-trace-2');
    expect(failed.headers.get('x-switchyard-request-id')).toMatch(SERVER_ID);

    // The SDK reports x-request-id as `_request_id`: the server id when the user set none.
    const client = new OpenAI({ apiKey: 'unused', baseURL: `${urls[1]}/v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'model-0', messages: [{ role: 'user', content: 'sdk' }] });
    expect(completion._request_id).toMatch(SERVER_ID);
    expect((await logs.waitForAudit((entry) => entry.requestId === completion._request_id)).clientRequestId).toBeNull();
  });
});
