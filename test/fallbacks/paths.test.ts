import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { maxProviderCalls } from '@switchyard/routing';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { attemptHeaders, chatAt, CONTENT_POLICY_ERROR, CONTEXT_WINDOW_ERROR, PROVIDER_KEY_ENV, readJson } from './fixtures.js';
import { pathsConfig } from './paths.config.js';

/**
 * Every path of the attempt policy against the real bus, limiter and
 * upstream-caller, with the counting mock: each proves its provider calls
 * and stays within 1 + retries + fallbacks.
 */
describe('fallbacks: every retry and fallback path, with its call count', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let url: string;
  let bound: number;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({ servers: inject('servers'), config: pathsConfig(mock.url), env: PROVIDER_KEY_ENV });
    url = stack.ingressUrls[0]!;
    bound = maxProviderCalls(stack.config.router.reliability);
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  it('fallbacks: the bound under this config is 1 + 1 retry + 2 fallbacks', () => {
    expect(bound).toBe(4);
  });

  it('fallbacks: a 5xx is retried on the group\'s other deployment, then falls back; headers count both', async () => {
    mock.behave('main-a', { status: 500 });
    mock.behave('main-b', { status: 503 });
    const response = await chatAt(url, 'main', 200);
    expect(mock.callsByModel()).toEqual({ 'main-a': 1, 'main-b': 1, 'backup-a': 1 });
    expect(attemptHeaders(response)).toEqual({ attempts: '3', fallbacks: '1', retries: '1', litellmFallbacks: '1', modelId: 'backup-a', modelGroup: 'backup' });
    expect(response.headers.get('x-switchyard-deployment')).toBe('backup-a');
  });

  it('fallbacks: when every attempt fails the client gets the last error after 3 calls, not more', async () => {
    mock.behave('*', { status: 500 });
    const response = await chatAt(url, 'main', 502);
    expect(mock.calls).toBe(3);
    expect(mock.calls).toBeLessThanOrEqual(bound);
    expect(attemptHeaders(response)).toMatchObject({ attempts: '3', retries: '1', fallbacks: '1' });
    // A provider was called: an SDK must not send it again.
    expect(response.headers.get('x-should-retry')).toBe('false');
  });

  it('fallbacks: context_length_exceeded goes straight to context_window_fallbacks (no retry)', async () => {
    mock.behave('main-a', { status: 400, errorBody: CONTEXT_WINDOW_ERROR });
    mock.behave('main-b', { status: 400, errorBody: CONTEXT_WINDOW_ERROR });
    const response = await chatAt(url, 'main', 200);
    expect(mock.calls).toBe(2);
    expect(mock.callsByModel()['long-a']).toBe(1);
    expect(attemptHeaders(response)).toMatchObject({ attempts: '2', retries: '0', fallbacks: '1', modelGroup: 'long' });
  });

  it('fallbacks: a content-policy refusal goes to content_policy_fallbacks', async () => {
    mock.behave('main-a', { status: 400, errorBody: CONTENT_POLICY_ERROR });
    mock.behave('main-b', { status: 400, errorBody: CONTENT_POLICY_ERROR });
    const response = await chatAt(url, 'main', 200);
    expect(mock.calls).toBe(2);
    expect(mock.callsByModel()['safe-a']).toBe(1);
    expect(attemptHeaders(response).modelGroup).toBe('safe');
  });

  it('fallbacks: a plain bad request is neither retried nor falls back (one call)', async () => {
    mock.behave('*', { status: 400 });
    const response = await chatAt(url, 'main', 400);
    expect(mock.calls).toBe(1);
    expect(attemptHeaders(response)).toMatchObject({ attempts: '1', retries: '0', fallbacks: '0' });
  });

  it('fallbacks: a timeout after sending is not retried nor falls back (default_fallbacks set): one call', async () => {
    mock.behave('slow-a', { latencyMs: 3_000 });
    const response = await chatAt(url, 'slow', 504);
    expect(mock.calls).toBe(1);
    expect(attemptHeaders(response).attempts).toBe('1');
  });

  it('fallbacks: retry_on_timeout lets a timeout be retried and fall back: 3 calls', async () => {
    mock.behave('slow-optin-a', { latencyMs: 3_000 });
    mock.behave('slow-optin-b', { latencyMs: 3_000 });
    const response = await chatAt(url, 'slow-optin', 200);
    expect(mock.callsByModel()).toEqual({ 'slow-optin-a': 1, 'slow-optin-b': 1, 'backup-a': 1 });
    expect(attemptHeaders(response)).toMatchObject({ attempts: '3', retries: '1', fallbacks: '1', modelGroup: 'backup' });
  });

  it('fallbacks: a 429 with retry-after is retried on the same deployment per RateLimitErrorRetries, then falls back', async () => {
    mock.behave('solo-a', { status: 429, retryAfter: 1 });
    const response = await chatAt(url, 'solo', 200);
    expect(mock.callsByModel()).toEqual({ 'solo-a': 2, 'backup-a': 1 });
    expect(attemptHeaders(response)).toMatchObject({ attempts: '3', retries: '1', fallbacks: '1' });
  });

  it('fallbacks: max_fallbacks stops after two fallback groups though a third is listed', async () => {
    mock.behave('solo-a', { status: 500 });
    mock.behave('backup-a', { status: 500 });
    mock.behave('second-a', { status: 500 });
    const response = await chatAt(url, 'solo', 502);
    expect(mock.callsByModel()).toEqual({ 'solo-a': 2, 'backup-a': 1, 'second-a': 1 });
    expect(mock.calls).toBe(bound);
    expect(attemptHeaders(response)).toMatchObject({ attempts: '4', retries: '1', fallbacks: '2' });
  });

  it('fallbacks: default_fallbacks serve a group without its own list', async () => {
    mock.behave('lonely-a', { status: 500 });
    const response = await chatAt(url, 'lonely', 200);
    expect(mock.callsByModel()).toEqual({ 'lonely-a': 2, 'backup-a': 1 });
    expect(attemptHeaders(response).modelGroup).toBe('backup');
  });

  it('fallbacks: a client\'s own fallbacks replace the configured ones when the operator allows them', async () => {
    mock.behave('lonely-a', { status: 500 });
    const response = await chatAt(url, 'lonely', 200, { fallbacks: ['third'] });
    expect(mock.callsByModel()).toEqual({ 'lonely-a': 2, 'third-a': 1 });
    expect(attemptHeaders(response).modelGroup).toBe('third');
    // The provider never sees the gateway's field.
    expect(mock.requests.every((request) => !('fallbacks' in (request.body as object)))).toBe(true);
  });

  it('fallbacks: a client fallback naming no model is a 400 and calls nothing', async () => {
    const response = await chatAt(url, 'lonely', 400, { fallbacks: ['no-such-model'] });
    expect(mock.calls).toBe(0);
    expect((await readJson(response)).error).toMatchObject({ param: 'fallbacks', type: 'invalid_request_error' });
  });
});
