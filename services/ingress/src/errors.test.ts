import { describe, expect, it } from 'vitest';
import { Errors, GatewayError } from '@switchyard/contracts';
import { clientMayRetry, errorHeaders } from './errors.js';

describe('ingress: x-should-retry', () => {
  it.each([
    ['the limiter refused (429)', Errors.rateLimited('limit', 3)],
    ['no limiter is running', Errors.unavailable('x', 'no_limiter')],
    ['no upstream-caller is running', Errors.unavailable('x', 'no_upstream_caller')],
    ['the bus is down', Errors.unavailable('x', 'bus_unavailable')],
    ['Redis is down and the policy rejects', Errors.unavailable('x', 'limiter_unavailable')],
    ['the replica is shutting down', Errors.unavailable('x', 'shutting_down')],
  ])('lets the client retry when %s: nothing reached a provider', (_what, error) => {
    expect(clientMayRetry(error)).toBe(true);
    expect(errorHeaders(error)['x-should-retry']).toBe('true');
  });

  it.each([
    ['the provider was slower than the timeout (504)', Errors.timeout('slow')],
    ['the bus went away mid-call (504)', Errors.timeout('lost', 'bus_lost')],
    ['the provider failed (502)', Errors.upstreamFailed('boom')],
    ['the gateway failed (500)', Errors.internal()],
    ['the body was invalid (400)', Errors.invalidRequest('bad')],
    ['the key was wrong (401)', Errors.unauthorized()],
    ['the model is unknown (404)', Errors.modelNotFound('x')],
    ['the body was too large (413)', Errors.payloadTooLarge(10)],
    ['the provider itself answered 429', Errors.rateLimited('provider limit', 2).withProviderReached()],
    ['no upstream-caller was left after an attempt that reached a provider', Errors.unavailable('x', 'no_upstream_caller').withProviderReached()],
  ])('tells the client not to retry when %s', (_what, error) => {
    expect(clientMayRetry(error)).toBe(false);
    expect(errorHeaders(error)['x-should-retry']).toBe('false');
  });

  it('keeps retry-after on a 429, rounded up to whole seconds', () => {
    expect(errorHeaders(Errors.rateLimited('limit', 2.2))).toEqual({ 'x-should-retry': 'true', 'retry-after': '3' });
  });

  it('marks an error as after a provider call without losing its fields', () => {
    const error = GatewayError.fromBody(429, { error: { message: 'm', type: 't', param: 'p', code: 'c' } }, 4).withProviderReached();
    expect(error).toMatchObject({ status: 429, type: 't', code: 'c', param: 'p', message: 'm', retryAfterSeconds: 4, providerReached: true });
  });
});
