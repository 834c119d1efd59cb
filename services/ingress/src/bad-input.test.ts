import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeDispatcher } from './testing/fake-dispatcher.js';
import { buildTestIngress, OpenAIErrorShape, TEST_PROVIDER_KEY } from './testing/test-app.js';

/**
 * Invariant I5 in process: bad input gets an OpenAI-shaped error with the
 * right status, nothing is dispatched, and no secret appears in the answer.
 * (test/request-path/bad-input.test.ts keeps a few of these end to end.)
 */

const MASTER_KEY = 'sk-test-master';
const BODY_LIMIT = 65_536;
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };
const JSON_TYPE = { 'content-type': 'application/json' };

interface BadInputCase {
  name: string;
  method?: 'GET' | 'POST';
  path?: string;
  /** Sent as is when a string or bytes, else as JSON. */
  body?: unknown;
  /** An empty value removes the header. */
  headers?: Record<string, string>;
  status: number;
  code?: string | null;
  param?: string | null;
  message?: RegExp;
}

function chat(model: string, content = 'Say hello', extra: Record<string, unknown> = {}) {
  return { model, messages: [{ role: 'user', content }], ...extra };
}

const hugeBody = JSON.stringify(chat('model-0', 'x'.repeat(BODY_LIMIT)));
const validBody = JSON.stringify(chat('model-0'));
const badUtf8Body = Buffer.concat([
  Buffer.from('{"model":"model-0","messages":[{"role":"user","content":"'),
  Buffer.from([0xc3, 0x28, 0xff]),
  Buffer.from('"}]}'),
]);

const CASES: BadInputCase[] = [
  { name: 'invalid JSON', body: '{"model": "model-0", "messages": [', status: 400, code: 'invalid_json' },
  { name: 'an empty body', body: '', status: 400, code: 'invalid_json' },
  { name: 'JSON that is not an object', body: '[1, 2, 3]', status: 400, param: null, message: /expected object, received array/ },
  { name: 'a JSON string', body: '"hello"', status: 400, param: null, message: /expected object/ },
  { name: 'JSON null', body: 'null', status: 400, param: null },
  { name: 'a form body', body: 'model=model-0', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
  { name: 'JSON sent as text/plain', body: validBody, headers: { 'content-type': 'text/plain' }, status: 415, code: 'unsupported_media_type' },
  { name: 'a body without a content type', body: validBody, headers: { 'content-type': '' }, status: 415, code: 'unsupported_media_type' },
  { name: 'messages as a string', body: { model: 'model-0', messages: 'hi' }, status: 400, param: 'messages', message: /^messages: .*expected array/ },
  { name: 'temperature as a string', body: chat('model-0', 'hi', { temperature: 'hot' }), status: 400, param: 'temperature', message: /^temperature: .*expected number/ },
  { name: 'temperature out of range', body: chat('model-0', 'hi', { temperature: 3 }), status: 400, param: 'temperature', message: /^temperature: .*2/ },
  { name: 'n of 0', body: chat('model-0', 'hi', { n: 0 }), status: 400, param: 'n', message: /^n: .*1/ },
  { name: 'negative max_tokens', body: chat('model-0', 'hi', { max_tokens: -1 }), status: 400, param: 'max_tokens', message: /^max_tokens: .*1/ },
  { name: 'stream as a string', body: chat('model-0', 'hi', { stream: 'yes' }), status: 400, param: 'stream', message: /^stream: .*expected boolean/ },
  { name: 'a message with an unknown role', body: { model: 'model-0', messages: [{ role: 'robot', content: 'hi' }] }, status: 400, param: 'messages[0].role' },
  { name: 'a missing model', body: { messages: [{ role: 'user', content: 'hi' }] }, status: 400, param: 'model', message: /^model: is required$/ },
  { name: 'an empty model', body: chat(''), status: 400, param: 'model' },
  { name: 'a model that is a number', body: { model: 7, messages: [{ role: 'user', content: 'hi' }] }, status: 400, param: 'model' },
  { name: 'missing messages', body: { model: 'model-0' }, status: 400, param: 'messages', message: /^messages: is required$/ },
  { name: 'empty messages', body: { model: 'model-0', messages: [] }, status: 400, param: 'messages' },
  { name: 'a body that is not valid UTF-8', body: badUtf8Body, status: 400, code: 'invalid_json', message: /UTF-8/ },
  { name: 'an unknown model', body: chat('no-such-model'), status: 404, code: 'model_not_found', param: 'model' },
  { name: 'an unknown model on embeddings', path: '/v1/embeddings', body: { model: 'no-such-model', input: 'hi' }, status: 404, code: 'model_not_found', param: 'model' },
  { name: 'an unknown model on completions', path: '/v1/completions', body: { model: 'no-such-model', prompt: 'hi' }, status: 404, code: 'model_not_found', param: 'model' },
  { name: 'an unknown model without the /v1 prefix', path: '/chat/completions', body: chat('no-such-model'), status: 404, code: 'model_not_found', param: 'model' },
  { name: 'an empty embedding input', path: '/v1/embeddings', body: { model: 'embed', input: '' }, status: 400, param: 'input' },
  { name: 'a completion without a prompt', path: '/v1/completions', body: { model: 'model-0' }, status: 400, param: 'prompt' },
  { name: 'a body over max_request_body_bytes', body: hugeBody, status: 413, code: 'request_too_large', message: new RegExp(`${BODY_LIMIT} bytes`) },
  {
    name: 'a __proto__ key',
    body: '{"__proto__": {"polluted": true}, "model": "model-0", "messages": [{"role": "user", "content": "hi"}]}',
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'a constructor.prototype key',
    body: '{"constructor": {"prototype": {"polluted": true}}, "model": "model-0", "messages": [{"role": "user", "content": "hi"}]}',
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'a nested __proto__ key',
    body: '{"model": "model-0", "messages": [{"role": "user", "content": "hi", "__proto__": {"polluted": true}}]}',
    status: 400,
    code: 'invalid_json',
  },
  { name: 'an unknown POST route', path: '/v1/no-such-endpoint', body: validBody, status: 404, code: 'not_found' },
  { name: 'an unknown GET route', method: 'GET', path: '/v1/nothing/here', status: 404, code: 'not_found' },
  { name: 'GET on a POST endpoint', method: 'GET', path: '/v1/chat/completions', status: 404, code: 'not_found' },
  { name: 'an unknown model by id', method: 'GET', path: '/v1/models/no-such-model', status: 404, code: 'model_not_found' },
  { name: 'no Authorization header', body: validBody, headers: { authorization: '' }, status: 401, code: 'invalid_api_key' },
  { name: 'a wrong key', body: validBody, headers: { authorization: 'Bearer sk-wrong' }, status: 401, code: 'invalid_api_key' },
  { name: 'a key that extends the master key', body: validBody, headers: { authorization: `Bearer ${MASTER_KEY}x` }, status: 401, code: 'invalid_api_key' },
  { name: 'a prefix of the master key', body: validBody, headers: { authorization: `Bearer ${MASTER_KEY.slice(0, -1)}` }, status: 401, code: 'invalid_api_key' },
  { name: 'the master key without Bearer', body: validBody, headers: { authorization: MASTER_KEY }, status: 401, code: 'invalid_api_key' },
  { name: 'Bearer without a key', body: validBody, headers: { authorization: 'Bearer ' }, status: 401, code: 'invalid_api_key' },
  { name: 'a Basic credential', body: validBody, headers: { authorization: 'Basic c2stdGVzdC1tYXN0ZXI6' }, status: 401, code: 'invalid_api_key' },
  { name: 'invalid JSON with a wrong key (auth first)', body: '{"model": ', headers: { authorization: 'Bearer sk-wrong' }, status: 401, code: 'invalid_api_key' },
  { name: 'an invalid body without a key (auth first)', body: { model: 'model-0', messages: 'hi' }, headers: { authorization: '' }, status: 401, code: 'invalid_api_key' },
  { name: 'an oversized body with a wrong key (auth first)', body: hugeBody, headers: { authorization: 'Bearer sk-wrong' }, status: 401, code: 'invalid_api_key' },
  { name: 'an unknown model with a wrong key (auth first)', body: chat('no-such-model'), headers: { authorization: 'Bearer sk-wrong' }, status: 401, code: 'invalid_api_key' },
  { name: 'a model listing without a key', method: 'GET', path: '/v1/models', headers: { authorization: '' }, status: 401, code: 'invalid_api_key' },
  { name: 'a model by id without a key', method: 'GET', path: '/v1/models/model-0', headers: { authorization: '' }, status: 401, code: 'invalid_api_key' },
  { name: 'an unknown route without a key', path: '/v1/no-such-endpoint', body: validBody, headers: { authorization: '' }, status: 401, code: 'invalid_api_key' },
];

function injectCase(app: FastifyInstance, testCase: BadInputCase, extraHeaders: Record<string, string> = {}) {
  const method = testCase.method ?? 'POST';
  const headers: Record<string, string> = { ...AUTH, ...(method === 'POST' ? JSON_TYPE : {}), ...testCase.headers, ...extraHeaders };
  for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name];
  const options: InjectOptions = { method, url: testCase.path ?? '/v1/chat/completions', headers };
  if (testCase.body !== undefined) {
    options.payload = typeof testCase.body === 'string' || Buffer.isBuffer(testCase.body) ? testCase.body : JSON.stringify(testCase.body);
  }
  return app.inject(options);
}

describe('ingress: bad input is answered with an OpenAI error and dispatches nothing', () => {
  let app: FastifyInstance;
  let dispatcher: FakeDispatcher;

  beforeAll(async () => {
    ({ app, dispatcher } = await buildTestIngress({ masterKey: MASTER_KEY, maxRequestBodyBytes: BODY_LIMIT }));
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => {
    dispatcher.attempts.length = 0;
  });

  it.each(CASES)('ingress: $name -> $status', async (testCase) => {
    const response = await injectCase(app, testCase);

    expect(response.statusCode).toBe(testCase.status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = OpenAIErrorShape.parse(response.json());
    if (testCase.code !== undefined) expect(body.error.code).toBe(testCase.code);
    if (testCase.param !== undefined) expect(body.error.param).toBe(testCase.param);
    if (testCase.message !== undefined) expect(body.error.message).toMatch(testCase.message);
    expect(response.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
    expect(response.body).not.toContain(MASTER_KEY);
    expect(response.body).not.toContain(TEST_PROVIDER_KEY);
    expect(dispatcher.attempts).toEqual([]);
    expect(dispatcher.stashed.size).toBe(0);
  });

  it('ingress: the table covers every status the gateway gives bad input', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((testCase) => testCase.status))).toEqual(new Set([400, 401, 404, 413, 415]));
  });

  it('ingress: a body with __proto__ or constructor.prototype pollutes no prototype', async () => {
    for (const name of ['a __proto__ key', 'a constructor.prototype key', 'a nested __proto__ key']) {
      const response = await injectCase(app, CASES.find((testCase) => testCase.name === name)!);
      expect(response.statusCode).toBe(400);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(dispatcher.attempts).toEqual([]);
  });

  it('ingress: an x-request-id with unsafe characters, or too long, is replaced by a generated one', async () => {
    const unknownModel = CASES.find((testCase) => testCase.name === 'an unknown model')!;
    const unsafe = await injectCase(app, unknownModel, { 'x-request-id': '<script>alert(1)</script>' });
    expect(unsafe.statusCode).toBe(404);
    expect(unsafe.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
    const tooLong = await injectCase(app, unknownModel, { 'x-request-id': 'a'.repeat(129) });
    expect(tooLong.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
    const longest = await injectCase(app, unknownModel, { 'x-request-id': 'a'.repeat(128) });
    expect(longest.headers['x-request-id']).toBe('a'.repeat(128));
    expect(dispatcher.attempts).toEqual([]);
  });

  it('ingress: a safe x-request-id is echoed on an error', async () => {
    const failed = await injectCase(app, CASES.find((testCase) => testCase.name === 'an unknown model')!, { 'x-request-id': 'client-req.42:a_b' });
    expect(failed.statusCode).toBe(404);
    expect(failed.headers['x-request-id']).toBe('client-req.42:a_b');
    expect(dispatcher.attempts).toEqual([]);
  });

  it('ingress: a valid request beside the table is dispatched once (the fake counts what it is sent)', async () => {
    const response = await injectCase(app, { name: 'valid', body: validBody, status: 200 });
    expect(response.statusCode).toBe(200);
    expect(dispatcher.attempts).toHaveLength(1);
  });
});
