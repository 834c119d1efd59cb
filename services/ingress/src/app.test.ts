import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callerIdOf } from './auth.js';
import type { FakeDispatcher } from './testing/fake-dispatcher.js';
import { buildTestIngress, OpenAIErrorShape, TEST_PROVIDER_KEY, type TestIngress } from './testing/test-app.js';

/*
 * The ingress's own input handling, in process: fastify `inject` into the
 * production app with a FakeDispatcher standing in for the bus. The table of
 * bad bodies is in bad-input.test.ts; replies and retries in attempts.test.ts.
 */

const MASTER_KEY = 'sk-test-master';
const BODY_LIMIT = 4096;
const JSON_TYPE = { 'content-type': 'application/json' };

function chat(model: string, content = 'Say hello') {
  return { model, messages: [{ role: 'user', content }] };
}

describe('ingress: with a master key', () => {
  let ingress: TestIngress;
  let app: FastifyInstance;
  let dispatcher: FakeDispatcher;

  const post = (body: string | Buffer | object, headers: Record<string, string> = {}, url = '/v1/chat/completions') =>
    app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${MASTER_KEY}`, ...JSON_TYPE, ...headers },
      payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    ingress = await buildTestIngress({ masterKey: MASTER_KEY, maxRequestBodyBytes: BODY_LIMIT });
    ({ app, dispatcher } = ingress);
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => {
    dispatcher.attempts.length = 0;
  });

  it('auth: a wrong key gets the 401 OpenAI gives, naming the Bearer scheme and not the key', async () => {
    const response = await post(chat('model-0'), { authorization: 'Bearer sk-wrong-key' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({
      error: {
        message: 'Incorrect or missing API key. Send it as "Authorization: Bearer <key>".',
        type: 'authentication_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    expect(response.body).not.toContain('sk-wrong-key');
    expect(response.body).not.toContain(MASTER_KEY);
    expect(dispatcher.attempts).toEqual([]);
  });

  it('auth: the master key is accepted in any case of "Bearer", and the call carries a hash of it, never the key', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const response = await post(chat('model-0'), { authorization: `${scheme} ${MASTER_KEY}` });
      expect(response.statusCode).toBe(200);
    }
    expect(dispatcher.attempts).toHaveLength(3);
    for (const { envelope, body } of dispatcher.attempts) {
      expect(envelope.callerId).toBe(callerIdOf(MASTER_KEY));
      expect(JSON.stringify(envelope)).not.toContain(MASTER_KEY);
      expect(Buffer.from(body).toString()).not.toContain(MASTER_KEY);
    }
  });

  it('auth: the ops endpoints answer without a key; the model list does not', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/models' })).statusCode).toBe(401);
  });

  it('models: /v1/models lists every group and alias in config order, in OpenAI\'s shape', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.object).toBe('list');
    expect(body.data.map((entry: { id: string }) => entry.id)).toEqual(['model-0', 'model-1', 'model-2', 'model-3', 'model-4', 'model-5', 'pool', 'embed', 'smart']);
    expect(body.data[0]).toEqual({ id: 'model-0', object: 'model', created: expect.any(Number), owned_by: 'switchyard' });
    expect(response.body).not.toContain(TEST_PROVIDER_KEY);
    expect(response.body).not.toContain('provider-model');
  });

  it('models: one model by id, with and without /v1, and 404 model_not_found for an unknown one', async () => {
    const auth = { authorization: `Bearer ${MASTER_KEY}` };
    for (const url of ['/v1/models/pool', '/models/pool']) {
      const response = await app.inject({ method: 'GET', url, headers: auth });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ id: 'pool', object: 'model' });
    }
    const unknown = await app.inject({ method: 'GET', url: '/v1/models/gpt-5', headers: auth });
    expect(unknown.statusCode).toBe(404);
    expect(OpenAIErrorShape.parse(unknown.json()).error).toMatchObject({ code: 'model_not_found', param: 'model' });
  });

  it('models: an unknown model in a request is a 404 naming it, and nothing is dispatched', async () => {
    const response = await post(chat('gpt-4o-mini'));
    expect(response.statusCode).toBe(404);
    const { error } = OpenAIErrorShape.parse(response.json());
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'model_not_found', param: 'model' });
    expect(error.message).toContain('gpt-4o-mini');
    expect(dispatcher.attempts).toEqual([]);
  });

  it('models: an alias resolves to its group: the call names the alias as asked and the group it went to', async () => {
    const response = await post(chat('smart'));
    expect(response.statusCode).toBe(200);
    expect(dispatcher.attempts[0]!.envelope).toMatchObject({ requestedModel: 'smart', modelGroup: 'model-3' });
  });

  it('limits: a body of exactly max_request_body_bytes is dispatched; one byte more is a 413 naming the limit', async () => {
    const prefix = JSON.stringify(chat('model-0', ''));
    const exact = JSON.stringify(chat('model-0', 'x'.repeat(BODY_LIMIT - prefix.length)));
    expect(Buffer.byteLength(exact)).toBe(BODY_LIMIT);
    expect((await post(exact)).statusCode).toBe(200);
    expect(dispatcher.attempts).toHaveLength(1);

    const over = JSON.stringify(chat('model-0', 'x'.repeat(BODY_LIMIT - prefix.length + 1)));
    const response = await post(over);
    expect(response.statusCode).toBe(413);
    const { error } = OpenAIErrorShape.parse(response.json());
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
    expect(error.message).toContain(`${BODY_LIMIT} bytes`);
    expect(dispatcher.attempts).toHaveLength(1);
  });

  it('content: a body that is not application/json is a 415 that says how to send it', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await post(JSON.stringify(chat('model-0')), { 'content-type': type });
      expect(response.statusCode).toBe(415);
      const { error } = OpenAIErrorShape.parse(response.json());
      expect(error).toMatchObject({ code: 'unsupported_media_type', type: 'invalid_request_error' });
      expect(error.message).toContain('application/json');
    }
    expect(dispatcher.attempts).toEqual([]);
  });

  it('content: application/json with a charset parameter is accepted', async () => {
    const response = await post(chat('model-0'), { 'content-type': 'application/json; charset=utf-8' });
    expect(response.statusCode).toBe(200);
    expect(dispatcher.attempts).toHaveLength(1);
  });

  it('content: invalid UTF-8 is refused, not replaced; valid multi-byte text reaches the call byte for byte', async () => {
    const invalid = Buffer.concat([Buffer.from('{"model":"model-0","messages":[{"role":"user","content":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}]}')]);
    const refused = await post(invalid);
    expect(refused.statusCode).toBe(400);
    expect(OpenAIErrorShape.parse(refused.json()).error).toMatchObject({ code: 'invalid_json', message: expect.stringMatching(/UTF-8/) });
    expect(dispatcher.attempts).toEqual([]);

    const text = Buffer.from(JSON.stringify(chat('model-0', 'naïve 日本語 🚀')));
    expect((await post(text)).statusCode).toBe(200);
    expect(Buffer.from(dispatcher.attempts[0]!.body).equals(text)).toBe(true);
  });

  it('content: the body is dispatched as the client sent it, unknown fields and key order kept', async () => {
    const raw = '{"messages":[{"role":"user","content":"hi"}],"top_k":40,"model":"model-0","repetition_penalty":1.1}';
    expect((await post(raw)).statusCode).toBe(200);
    expect(Buffer.from(dispatcher.attempts[0]!.body).toString()).toBe(raw);
  });

  it('shutdown: a replica that is shutting down answers 503 shutting_down and closes the connection; ops still answer', async () => {
    const draining = await buildTestIngress({ masterKey: MASTER_KEY });
    try {
      draining.shutDown();
      const response = await draining.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${MASTER_KEY}`, ...JSON_TYPE },
        payload: JSON.stringify(chat('model-0')),
      });
      expect(response.statusCode).toBe(503);
      expect(response.headers.connection).toBe('close');
      expect(OpenAIErrorShape.parse(response.json()).error.code).toBe('shutting_down');
      expect(draining.dispatcher.attempts).toEqual([]);
      expect((await draining.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await draining.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    } finally {
      await draining.app.close();
    }
  });
});

describe('ingress: without a master key', () => {
  let ingress: TestIngress;

  beforeAll(async () => {
    ingress = await buildTestIngress();
  });
  afterAll(async () => {
    await ingress?.app.close();
  });

  it('auth: no key is needed, any Authorization is ignored, and the call has no caller id', async () => {
    for (const headers of [{}, { authorization: 'Bearer whatever' }, { authorization: 'Basic abc' }]) {
      const response = await ingress.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { ...JSON_TYPE, ...headers },
        payload: JSON.stringify(chat('model-0')),
      });
      expect(response.statusCode).toBe(200);
    }
    expect(ingress.dispatcher.attempts.map((attempt) => attempt.envelope.callerId)).toEqual([null, null, null]);
  });

  it('limits: the default body limit is large enough for a long prompt', async () => {
    const response = await ingress.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: JSON_TYPE,
      payload: JSON.stringify(chat('model-0', 'x'.repeat(200_000))),
    });
    expect(response.statusCode).toBe(200);
  });

  it('metrics: a request is counted by endpoint, status and model group', async () => {
    await ingress.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: JSON_TYPE, payload: JSON.stringify(chat('no-such-model')) });
    const metrics = (await ingress.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/switchyard_http_requests_total\{[^}]*status="404"[^}]*\} 1/);
    expect(metrics).toMatch(/switchyard_http_requests_total\{[^}]*status="200"[^}]*model="model-0"[^}]*\} [1-9]/);
  });
});
