import { describe, expect, it } from 'vitest';
import { httpFailure } from '../failures.js';
import { scrubberFor } from '../secrets.js';
import { deployment, TEST_KEY } from '../../test/fixtures.js';

const command = deployment({ id: 'command/1', provider: 'cohere', providerModel: 'command-r' });
const fail = (status: number, body: unknown, headers: Record<string, string> = {}) => httpFailure(command, status, headers, JSON.stringify(body), scrubberFor(command));

describe("providers: cohere errors in OpenAI's shape", () => {
  it("providers: cohere a 400 keeps Cohere's message and is not retried", () => {
    const failure = fail(400, { id: 'e1', message: 'invalid request: too many tokens: total number of tokens in the prompt cannot exceed 4081' });
    expect(failure).toMatchObject({ status: 400, retryable: false, definite: true });
    expect(failure.error.error).toEqual({ message: 'invalid request: too many tokens: total number of tokens in the prompt cannot exceed 4081', type: 'invalid_request_error', param: null, code: null });
  });

  it.each([
    [429, 429, 'rate_limit_error'],
    [500, 502, 'api_error'],
    [503, 502, 'api_error'],
  ])('providers: cohere a %i is retryable, answered %i (%s)', (status, answered, type) => {
    const failure = fail(status, { id: 'e2', message: 'You are past the per minute request limit, please wait and try again later.' }, { 'retry-after': '7' });
    expect(failure).toMatchObject({ status: answered, retryable: true, definite: true, providerStatus: status, retryAfterSeconds: 7 });
    expect(failure.error.error.type).toBe(type);
  });

  it.each([401, 498])('providers: cohere a rejected key (%i) is a 502 of our own, with no part of the key; a message echoing the key is redacted', (status) => {
    const rejected = fail(status, { id: 'e3', message: `invalid api token ${TEST_KEY}` });
    expect(rejected).toMatchObject({ status: 502, retryable: true, providerStatus: status, error: { error: { code: 'upstream_auth_failed' } } });
    expect(JSON.stringify(rejected)).not.toContain(TEST_KEY);
    const echoed = fail(422, { message: `bad field, sent with Bearer ${TEST_KEY}` });
    expect(echoed.error.error.message).toBe('bad field, sent with Bearer [redacted]');
  });
});
