import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { chat, manyModelsConfig, PROVIDER_KEY_ENV } from './fixtures.js';

/**
 * Invariant I5: bad input gets an OpenAI-shaped error with the right status,
 * nothing is called, and no secret appears in the answer.
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
  headers?: Record<string, string>;
  /** The status, or the statuses accepted where the gateway's answer is still under discussion. */
  status: number | number[];
  code?: string | null;
  param?: string | null;
  message?: RegExp;
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
  { name: 'a form body', body: 'model=model-0', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
  { name: 'JSON sent as text/plain', body: validBody, headers: { 'content-type': 'text/plain' }, status: 415, code: 'unsupported_media_type' },
  { name: 'messages as a string', body: { model: 'model-0', messages: 'hi' }, status: 400, param: 'messages', message: /^messages: .*expected array/ },
  { name: 'temperature as a string', body: chat('model-0', 'hi', { temperature: 'hot' }), status: 400, param: 'temperature', message: /^temperature: .*expected number/ },
  { name: 'temperature out of range', body: chat('model-0', 'hi', { temperature: 3 }), status: 400, param: 'temperature', message: /^temperature: .*2/ },
  { name: 'n of 0', body: chat('model-0', 'hi', { n: 0 }), status: 400, param: 'n', message: /^n: .*1/ },
  { name: 'negative max_tokens', body: chat('model-0', 'hi', { max_tokens: -1 }), status: 400, param: 'max_tokens', message: /^max_tokens: .*1/ },
  { name: 'stream as a string', body: chat('model-0', 'hi', { stream: 'yes' }), status: 400, param: 'stream', message: /^stream: .*expected boolean/ },
  { name: 'a message with an unknown role', body: { model: 'model-0', messages: [{ role: 'robot', content: 'hi' }] }, status: 400, param: 'messages[0].role' },
  { name: 'a missing model', body: { messages: [{ role: 'user', content: 'hi' }] }, status: 400, param: 'model', message: /^model: is required$/ },
  { name: 'an empty model', body: chat(''), status: 400, param: 'model' },
  { name: 'missing messages', body: { model: 'model-0' }, status: 400, param: 'messages', message: /^messages: is required$/ },
  { name: 'empty messages', body: { model: 'model-0', messages: [] }, status: 400, param: 'messages' },
  { name: 'a body that is not valid UTF-8', body: badUtf8Body, status: 400, code: 'invalid_json', message: /UTF-8/ },
  { name: 'an unknown model', body: chat('no-such-model'), status: 404, code: 'model_not_found', param: 'model' },
  { name: 'an unknown model on embeddings', path: '/v1/embeddings', body: { model: 'no-such-model', input: 'hi' }, status: 404, code: 'model_not_found', param: 'model' },
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
  { name: 'the master key without Bearer', body: validBody, headers: { authorization: MASTER_KEY }, status: 401, code: 'invalid_api_key' },
  { name: 'a Basic credential', body: validBody, headers: { authorization: 'Basic c2stdGVzdC1tYXN0ZXI6' }, status: 401, code: 'invalid_api_key' },
  { name: 'invalid JSON with a wrong key (auth first)', body: '{"model": ', headers: { authorization: 'Bearer sk-wrong' }, status: 401, code: 'invalid_api_key' },
  { name: 'an invalid body without a key (auth first)', body: { model: 'model-0', messages: 'hi' }, headers: { authorization: '' }, status: 401, code: 'invalid_api_key' },
  { name: 'an oversized body with a wrong key (auth first)', body: hugeBody, headers: { authorization: 'Bearer sk-wrong' }, status: 401, code: 'invalid_api_key' },
  { name: 'an unknown model with a wrong key (auth first)', body: chat('no-such-model'), headers: { authorization: 'Bearer sk-wrong' }, status: 401, code: 'invalid_api_key' },
  { name: 'a model listing without a key', method: 'GET', path: '/v1/models', headers: { authorization: '' }, status: 401, code: 'invalid_api_key' },
  { name: 'an unknown route without a key', path: '/v1/no-such-endpoint', body: validBody, headers: { authorization: '' }, status: 401, code: 'invalid_api_key' },
];

function request(url: string, testCase: BadInputCase, extraHeaders: Record<string, string> = {}): Promise<Response> {
  const method = testCase.method ?? 'POST';
  const headers: Record<string, string> = { ...AUTH, ...(method === 'POST' ? JSON_TYPE : {}), ...testCase.headers, ...extraHeaders };
  for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name];
  const body =
    testCase.body === undefined
      ? undefined
      : typeof testCase.body === 'string' || Buffer.isBuffer(testCase.body)
        ? testCase.body
        : JSON.stringify(testCase.body);
  return fetch(`${url}${testCase.path ?? '/v1/chat/completions'}`, { method, headers, ...(body === undefined ? {} : { body }) });
}

/** The exact OpenAI error shape: `error` and nothing else, four fields and nothing else. */
function expectOpenAIError(body: any): void {
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.message).toEqual(expect.any(String));
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.type).toEqual(expect.any(String));
  expect(body.error.param === null || typeof body.error.param === 'string').toBe(true);
  expect(body.error.code === null || typeof body.error.code === 'string').toBe(true);
}

describe('ingress: bad input is answered with an OpenAI error and calls nothing', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let url: string;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: manyModelsConfig(mock.url, { masterKey: MASTER_KEY, maxRequestBodyBytes: BODY_LIMIT }),
      env: PROVIDER_KEY_ENV,
    });
    url = stack.ingressUrls[0]!;
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  it.each(CASES)('ingress: $name -> $status', async (testCase) => {
    const response = await request(url, testCase);
    const text = await response.text();

    expect([testCase.status].flat()).toContain(response.status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(text);
    expectOpenAIError(body);
    if (testCase.code !== undefined) expect(body.error.code).toBe(testCase.code);
    if (testCase.param !== undefined) expect(body.error.param).toBe(testCase.param);
    if (testCase.message !== undefined) expect(body.error.message).toMatch(testCase.message);
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(text).not.toContain(MASTER_KEY);
    expect(text).not.toContain(PROVIDER_KEY_ENV.MOCK_PROVIDER_KEY);
    expect(mock.calls).toBe(0);
  });

  it('ingress: a body with __proto__ or constructor.prototype pollutes no prototype', async () => {
    for (const name of ['a __proto__ key', 'a constructor.prototype key', 'a nested __proto__ key']) {
      const response = await request(url, CASES.find((testCase) => testCase.name === name)!);
      expect(response.status).toBe(400);
      await response.body?.cancel();
    }
    expect(({} as any).polluted).toBeUndefined();
    expect((Object.prototype as any).polluted).toBeUndefined();
    expect(mock.calls).toBe(0);
  });

  it('ingress: fields the gateway does not know pass through to the provider, as OpenAI-compatible gateways do', async () => {
    const response = await request(url, { name: 'extra fields', body: chat('model-0', 'hi', { top_k: 40, repetition_penalty: 1.1 }), status: 200 });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(mock.calls).toBe(1);
    expect(mock.requests.at(-1)!.body).toMatchObject({ top_k: 40, repetition_penalty: 1.1, model: 'provider-model-0' });
  });

  it('ingress: an x-request-id with unsafe characters is replaced by a generated one', async () => {
    const unsafe = await request(url, CASES.find((testCase) => testCase.name === 'an unknown model')!, { 'x-request-id': '<script>alert(1)</script>' });
    expect(unsafe.status).toBe(404);
    expect(unsafe.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    const tooLong = await request(url, CASES.find((testCase) => testCase.name === 'an unknown model')!, { 'x-request-id': 'a'.repeat(129) });
    expect(tooLong.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    await Promise.all([unsafe.body?.cancel(), tooLong.body?.cancel()]);
    expect(mock.calls).toBe(0);
  });

  it('ingress: a safe x-request-id is echoed, on errors and on a completed call', async () => {
    const failed = await request(url, CASES.find((testCase) => testCase.name === 'an unknown model')!, { 'x-request-id': 'client-req.42:a_b' });
    expect(failed.status).toBe(404);
    expect(failed.headers.get('x-request-id')).toBe('client-req.42:a_b');
    await failed.body?.cancel();
    expect(mock.calls).toBe(0);

    const completed = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...AUTH, ...JSON_TYPE, 'x-request-id': 'client-req-43' },
      body: validBody,
    });
    expect(completed.status).toBe(200);
    expect(completed.headers.get('x-request-id')).toBe('client-req-43');
    await completed.body?.cancel();
    expect(mock.calls).toBe(1);
  });

  it('ingress: a provider error that echoes the provider key reaches the client redacted', async () => {
    const secret = PROVIDER_KEY_ENV.MOCK_PROVIDER_KEY;
    mock.behave('provider-model-5', {
      status: 400,
      errorBody: { error: { message: `Invalid request made with key ${secret}`, type: 'invalid_request_error', param: secret, code: 'bad' } },
    });
    const response = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { ...AUTH, ...JSON_TYPE }, body: JSON.stringify(chat('model-5')) });
    const text = await response.text();

    expect(response.status).toBe(400);
    expectOpenAIError(JSON.parse(text));
    expect(text).not.toContain(secret);
    expect(text).not.toContain(MASTER_KEY);
    expect(mock.calls).toBe(1);
  });
});
