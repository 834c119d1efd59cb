import { describe, expect, it } from 'vitest';
import { connectionFailure, errorCode, httpFailure, parseRetryAfter } from './failures.js';
import { secretForms } from '@switchyard/config';
import { SecretScrubber } from './secrets.js';
import { deployment, TEST_KEY } from '../test/fixtures.js';

const SCRUB_KEY = new SecretScrubber(secretForms([TEST_KEY]));
const SCRUB_NOTHING = new SecretScrubber([]);

describe('providers failures', () => {
  it('providers failures: Retry-After in seconds, HTTP date or retry-after-ms', () => {
    expect(parseRetryAfter({ 'retry-after': '7' })).toBe(7);
    expect(parseRetryAfter({ 'retry-after': '1.2' })).toBe(2);
    expect(parseRetryAfter({ 'retry-after-ms': '1500', 'retry-after': '9' })).toBe(2);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(parseRetryAfter({ 'retry-after': inTenSeconds })).toBeGreaterThanOrEqual(9);
    expect(parseRetryAfter({ 'retry-after': 'soon' })).toBeNull();
    expect(parseRetryAfter({})).toBeNull();
  });

  it('providers failures: reads the error shapes providers use', () => {
    const d = deployment();
    const shapes: Array<[string, string]> = [
      [JSON.stringify({ error: { message: 'bad model', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } }), 'bad model'],
      [JSON.stringify({ error: 'ollama says no' }), 'ollama says no'],
      [JSON.stringify({ object: 'error', message: { detail: [{ msg: 'Extra inputs' }] }, type: 'invalid_request_error', code: null }), '{"detail":[{"msg":"Extra inputs"}]}'],
      [JSON.stringify({ detail: 'Not Found' }), 'Not Found'],
      [JSON.stringify([{ error: { message: 'first of many', code: 400 } }]), 'first of many'],
    ];
    for (const [body, message] of shapes) {
      const f = httpFailure(d, 400, {}, body, SCRUB_KEY);
      expect(f).toMatchObject({ kind: 'failure', status: 400, providerStatus: 400, outcome: 'provider_error', definite: true, retryable: false });
      expect(f.error.error.message).toBe(message);
    }
    const openai = httpFailure(d, 404, {}, shapes[0]![0], SCRUB_NOTHING);
    expect(openai.error).toEqual({ error: { message: 'bad model', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
  });

  it('providers failures: 5xx becomes a retryable 502, HTML bodies are wrapped', () => {
    const f = httpFailure(deployment(), 503, { 'retry-after': '3' }, '<html>busy</html>', SCRUB_NOTHING);
    expect(f).toMatchObject({ status: 502, providerStatus: 503, definite: true, retryable: true, retryAfterSeconds: 3 });
    expect(f.error.error).toMatchObject({ type: 'api_error', code: 'upstream_error' });
    expect(f.error.error.message).toContain('503');
  });

  it('providers failures: provider messages echoing the key are scrubbed', () => {
    const f = httpFailure(deployment(), 400, {}, JSON.stringify({ error: { message: `key ${TEST_KEY} is odd` } }), SCRUB_KEY);
    expect(f.error.error.message).toBe('key [redacted] is odd');
  });

  it('providers failures: connection errors are definite only when nothing can have been sent', () => {
    const refused = Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]), {});
    expect(errorCode(refused)).toBe('ECONNREFUSED');
    expect(connectionFailure(deployment(), refused, false)).toMatchObject({ status: 502, outcome: 'connection_error', definite: true, retryable: true });
    expect(connectionFailure(deployment(), Object.assign(new Error('reset'), { code: 'ECONNRESET' }), false).definite).toBe(false);
    expect(connectionFailure(deployment(), Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), true).definite).toBe(false);
  });
});
