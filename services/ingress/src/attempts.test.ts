import { afterEach, describe, expect, it } from 'vitest';
import { PendingReply } from '@switchyard/bus';
import { Errors } from '@switchyard/contracts';
import type { FakeReply } from './testing/fake-dispatcher.js';
import { buildTestIngress, OpenAIErrorShape, type TestIngress } from './testing/test-app.js';

/*
 * What the ingress does with a well-formed request, in process: the envelope
 * it dispatches, the reply it relays (headers, bodies, streams) and the
 * attempts `num_retries` allows, against a FakeDispatcher's programmed replies.
 */

const JSON_TYPE = { 'content-type': 'application/json' };

function chat(model: string, extra: Record<string, unknown> = {}) {
  return { model, messages: [{ role: 'user', content: 'Say hello' }], ...extra };
}

function providerFailure(status: number, retryable: boolean): Extract<FakeReply, { kind: 'failure' }> {
  return {
    kind: 'failure',
    status,
    body: { error: { message: `provider said ${status}`, type: 'api_error', param: null, code: `upstream_${status}` } },
    retryable,
  };
}

let ingress: TestIngress;

async function start(options: Parameters<typeof buildTestIngress>[0] = {}): Promise<TestIngress> {
  ingress = await buildTestIngress(options);
  return ingress;
}

function send(body: object, headers: Record<string, string> = {}, url = '/v1/chat/completions') {
  return ingress.app.inject({ method: 'POST', url, headers: { ...JSON_TYPE, ...headers }, payload: JSON.stringify(body) });
}

afterEach(async () => {
  await ingress?.app.close();
});

describe('ingress: one attempt', () => {
  it('dispatch: the envelope names the request, the model, the deployment and what the client asked for', async () => {
    const { dispatcher } = await start();
    const response = await send(chat('model-2', { stream: true, stream_options: { include_usage: true }, max_tokens: 77 }), { 'x-request-id': 'req-abc' });
    expect(response.statusCode).toBe(200);
    expect(dispatcher.attempts).toHaveLength(1);
    expect(dispatcher.attempts[0]!.envelope).toMatchObject({
      v: 1,
      // The gateway's own id; the client's x-request-id is only a label beside it.
      requestId: expect.stringMatching(/^req_[0-9a-f]{32}$/) as unknown,
      clientRequestId: 'req-abc',
      endpoint: 'chat.completions',
      requestedModel: 'model-2',
      modelGroup: 'model-2',
      deploymentId: expect.any(String),
      attempt: 1,
      stream: true,
      clientWantsUsage: true,
      maxCompletionTokens: 77,
      callerId: null,
      bodyRef: null,
      reservation: null,
    });
    expect(dispatcher.attempts[0]!.envelope.estimatedPromptTokens).toBeGreaterThan(0);
  });

  it('replies: a JSON reply is relayed with its status and body, and x-request-id, x-switchyard-deployment, x-switchyard-attempts', async () => {
    const { dispatcher } = await start();
    dispatcher.respond({ kind: 'json', body: { id: 'chatcmpl-1', object: 'chat.completion', choices: [] }, headers: { 'x-ratelimit-remaining-requests': '41' } });
    const response = await send(chat('model-1'), { 'x-request-id': 'client-req-43' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: 'chatcmpl-1', object: 'chat.completion', choices: [] });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['x-request-id']).toBe('client-req-43');
    expect(response.headers['x-switchyard-deployment']).toBe(dispatcher.attempts[0]!.envelope.deploymentId);
    expect(response.headers['x-switchyard-attempts']).toBe('1');
    expect(response.headers['x-ratelimit-remaining-requests']).toBe('41');
    expect(dispatcher.openReplies).toBe(0);
  });

  it('replies: the deployment header names the deployment that answered, and a provider status passes through', async () => {
    const { dispatcher } = await start();
    dispatcher.respond({ kind: 'json', status: 201, body: { ok: true }, deploymentId: 'elsewhere' });
    const response = await send(chat('model-0'));
    expect(response.statusCode).toBe(201);
    expect(response.headers['x-switchyard-deployment']).toBe('elsewhere');
  });

  it('replies: a stream is relayed as Server-Sent Events, frame by frame, with the same headers', async () => {
    const { dispatcher } = await start();
    const delta = (content: string) => ({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] });
    dispatcher.respond({ kind: 'sse', events: [delta('Hel'), delta('lo'), 'data: [DONE]\n\n'] });
    const response = await send(chat('model-0', { stream: true }));

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['x-switchyard-attempts']).toBe('1');
    expect(response.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
    expect(response.body).toBe(`data: ${JSON.stringify(delta('Hel'))}\n\ndata: ${JSON.stringify(delta('lo'))}\n\ndata: [DONE]\n\n`);
    expect(dispatcher.openReplies).toBe(0);
  });

  it('replies: a stream that fails after its head ends with an OpenAI error event (the status is already sent)', async () => {
    const { dispatcher } = await start();
    const error = Errors.upstreamFailed('The provider closed the stream.').toBody();
    dispatcher.respond({ kind: 'sse', events: [{ choices: [{ index: 0, delta: { content: 'Hi' } }] }], errorAfter: error });
    const response = await send(chat('model-0', { stream: true }));
    expect(response.statusCode).toBe(200);
    const events = response.body.split('\n\n').filter(Boolean);
    expect(events).toHaveLength(2);
    expect(OpenAIErrorShape.parse(JSON.parse(events[1]!.slice('data: '.length)))).toEqual(error);
  });

  it('replies: a body that stops arriving ends in a 504 gateway_timeout, not a hang', async () => {
    const { dispatcher } = await start({ dispatcher: { waitMs: 50 } });
    dispatcher.respond({
      kind: 'result',
      result: {
        kind: 'response',
        head: { status: 200, contentType: 'application/json', deploymentId: 'd', attempt: 1, headers: {} },
        first: { part: 'head', meta: { status: 200, contentType: 'application/json', deploymentId: 'd', attempt: 1, headers: {} }, data: new Uint8Array(0) },
        reply: new PendingReply('_INBOX.silent', () => {}),
      },
    });
    const response = await send(chat('model-0'));
    expect(response.statusCode).toBe(504);
    expect(OpenAIErrorShape.parse(response.json()).error.code).toBe('gateway_timeout');
  });

  it('replies: a provider failure keeps its status, OpenAI body and headers such as retry-after', async () => {
    const { dispatcher } = await start();
    dispatcher.respond({
      kind: 'failure',
      status: 429,
      body: { error: { message: 'Slow down.', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } },
      retryAfterSeconds: 7,
      headers: { 'x-ratelimit-remaining-requests': '0' },
    });
    const response = await send(chat('model-0'));
    expect(response.statusCode).toBe(429);
    expect(response.json()).toEqual({ error: { message: 'Slow down.', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } });
    expect(response.headers['retry-after']).toBe('7');
    expect(response.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(response.headers['x-switchyard-attempts']).toBe('1');
  });

  it('dispatch: a body over the bus inline limit is stashed, referenced by the envelope, not sent inline, and released', async () => {
    const { dispatcher } = await start({ dispatcher: { inlineLimit: 100 } });
    const response = await send(chat('model-0', { user: 'x'.repeat(200) }));
    expect(response.statusCode).toBe(200);
    const { envelope } = dispatcher.attempts[0]!;
    expect(envelope.bodyRef).toBe(envelope.requestId);
    expect(dispatcher.released).toEqual([envelope.requestId]);
    expect(dispatcher.stashed.size).toBe(0);
  });
});

describe('ingress: retries (num_retries)', () => {
  it('retries: a definite, retryable failure is tried again on the next deployment of the group, up to num_retries', async () => {
    const { dispatcher } = await start({ numRetries: 2 });
    dispatcher.respondOnce(providerFailure(503, true), providerFailure(502, true));
    const response = await send(chat('pool'));

    expect(response.statusCode).toBe(200);
    expect(response.headers['x-switchyard-attempts']).toBe('3');
    const envelopes = dispatcher.attempts.map((attempt) => attempt.envelope);
    expect(envelopes.map((envelope) => envelope.attempt)).toEqual([1, 2, 3]);
    expect(new Set(envelopes.map((envelope) => envelope.deploymentId)).size).toBe(3);
    expect(envelopes.map((envelope) => envelope.candidates[0])).toEqual(envelopes.map((envelope) => envelope.deploymentId));
    expect(new Set(envelopes.map((envelope) => envelope.requestId)).size).toBe(1);
    expect(response.headers['x-switchyard-deployment']).toBe(envelopes[2]!.deploymentId);
  });

  it('retries: when every attempt fails, the last failure is the answer', async () => {
    const { dispatcher } = await start({ numRetries: 1 });
    dispatcher.respond(providerFailure(503, true));
    const response = await send(chat('pool'));
    expect(response.statusCode).toBe(503);
    expect(OpenAIErrorShape.parse(response.json()).error.code).toBe('upstream_503');
    expect(response.headers['x-switchyard-attempts']).toBe('2');
    expect(dispatcher.attempts).toHaveLength(2);
  });

  it('retries: a failure that is not retryable, or not definite, is final', async () => {
    const { dispatcher } = await start({ numRetries: 3 });
    dispatcher.respondOnce(providerFailure(400, false));
    expect((await send(chat('pool'))).statusCode).toBe(400);
    expect(dispatcher.attempts).toHaveLength(1);

    dispatcher.respondOnce({ ...providerFailure(502, true), definite: false });
    expect((await send(chat('pool'))).statusCode).toBe(502);
    expect(dispatcher.attempts).toHaveLength(2);
  });

  it('retries: without num_retries a retryable failure is not retried', async () => {
    const { dispatcher } = await start();
    dispatcher.respondOnce(providerFailure(503, true));
    const response = await send(chat('pool'));
    expect(response.statusCode).toBe(503);
    expect(response.headers['x-switchyard-attempts']).toBe('1');
    expect(dispatcher.attempts).toHaveLength(1);
  });

  it('retries: a single-deployment model is retried on that same deployment', async () => {
    const { dispatcher } = await start({ numRetries: 1 });
    dispatcher.respondOnce(providerFailure(503, true));
    expect((await send(chat('model-4'))).statusCode).toBe(200);
    expect(dispatcher.attempts.map((attempt) => attempt.envelope.deploymentId)).toHaveLength(2);
    expect(new Set(dispatcher.attempts.map((attempt) => attempt.envelope.deploymentId)).size).toBe(1);
  });
});
