import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { chat, manyModelsConfig, PROVIDER_KEY_ENV } from './fixtures.js';

/**
 * Invariant I5 end to end: bad input gets an OpenAI-shaped error with the
 * right status, no provider is called, and no secret appears in the answer.
 * The full table of bad inputs runs in process against a fake dispatcher
 * (services/ingress/src/bad-input.test.ts); here a few of each kind go
 * through the whole stack, where the mock provider counts every call.
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
  status: number;
  code?: string | null;
  param?: string | null;
}

const validBody = JSON.stringify(chat('model-0'));

const CASES: BadInputCase[] = [
  { name: 'invalid JSON', body: '{"model": "model-0", "messages": [', status: 400, code: 'invalid_json' },
  { name: 'temperature out of range', body: chat('model-0', 'hi', { temperature: 3 }), status: 400, param: 'temperature' },
  { name: 'an unknown model', body: chat('no-such-model'), status: 404, code: 'model_not_found', param: 'model' },
  { name: 'a body over max_request_body_bytes', body: JSON.stringify(chat('model-0', 'x'.repeat(BODY_LIMIT))), status: 413, code: 'request_too_large' },
  { name: 'JSON sent as text/plain', body: validBody, headers: { 'content-type': 'text/plain' }, status: 415, code: 'unsupported_media_type' },
  { name: 'a wrong key', body: validBody, headers: { authorization: 'Bearer sk-wrong' }, status: 401, code: 'invalid_api_key' },
];

function request(url: string, testCase: BadInputCase): Promise<Response> {
  const method = testCase.method ?? 'POST';
  const headers: Record<string, string> = { ...AUTH, ...(method === 'POST' ? JSON_TYPE : {}), ...testCase.headers };
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

    expect(response.status).toBe(testCase.status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(text);
    expectOpenAIError(body);
    if (testCase.code !== undefined) expect(body.error.code).toBe(testCase.code);
    if (testCase.param !== undefined) expect(body.error.param).toBe(testCase.param);
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(text).not.toContain(MASTER_KEY);
    expect(text).not.toContain(PROVIDER_KEY_ENV.MOCK_PROVIDER_KEY);
    expect(mock.calls).toBe(0);
  });

  it('ingress: fields the gateway does not know pass through to the provider, as OpenAI-compatible gateways do', async () => {
    const response = await request(url, { name: 'extra fields', body: chat('model-0', 'hi', { top_k: 40, repetition_penalty: 1.1 }), status: 200 });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(mock.calls).toBe(1);
    expect(mock.requests.at(-1)!.body).toMatchObject({ top_k: 40, repetition_penalty: 1.1, model: 'provider-model-0' });
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
