import { describe, expect, it } from 'vitest';
import { GatewayError } from '@switchyard/contracts';
import { httpFailure } from '../failures.js';
import { buildProviderRequest } from '../request.js';
import { scrubberFor } from '../secrets.js';
import { deployment, TEST_KEY } from '../../test/fixtures.js';

const claude = (apiBase: string | null) => deployment({ id: 'claude/1', provider: 'anthropic', providerModel: 'claude-sonnet-4-5', apiBase });
const chat = { model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream_options: { include_usage: true } };

describe('providers: anthropic request on the wire', () => {
  it.each([
    [null, 'https://api.anthropic.com/v1/messages'],
    ['http://proxy:8080/', 'http://proxy:8080/v1/messages'],
    ['http://proxy:8080/v1', 'http://proxy:8080/v1/messages'],
    ['http://proxy:8080/v1/messages', 'http://proxy:8080/v1/messages'],
  ])('providers: anthropic api_base %s -> %s, x-api-key and anthropic-version', (apiBase, url) => {
    const req = buildProviderRequest(claude(apiBase), 'chat.completions', chat, { stream: true, wantUsage: false });
    expect(req.url).toBe(url);
    expect(req.headers).toMatchObject({ 'x-api-key': TEST_KEY, 'anthropic-version': '2023-06-01', accept: 'text/event-stream' });
    expect(req.headers.authorization).toBeUndefined();
    expect(JSON.parse(req.body)).toEqual({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], max_tokens: 4096, stream: true });
  });

  it('providers: anthropic takes the deployment max_tokens default and refuses embeddings with a 400', () => {
    const withDefault = deployment({ provider: 'anthropic', providerModel: 'c', defaultParams: { max_tokens: 77 } });
    expect(JSON.parse(buildProviderRequest(withDefault, 'chat.completions', chat, { stream: false, wantUsage: false }).body)).toMatchObject({ max_tokens: 77 });
    expect(() => buildProviderRequest(claude(null), 'embeddings', { model: 'c', input: 'x' }, { stream: false, wantUsage: false })).toThrow(GatewayError);
  });
});

describe('providers: anthropic errors', () => {
  const error = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message } });

  it('providers: anthropic 529 overloaded is a retryable 502 keeping Anthropic\'s message', () => {
    const failure = httpFailure(claude(null), 529, {}, error('overloaded_error', 'Overloaded'), scrubberFor(claude(null)));
    expect(failure).toMatchObject({ status: 502, providerStatus: 529, definite: true, retryable: true, error: { error: { message: 'Overloaded', type: 'overloaded_error' } } });
  });

  it('providers: anthropic 400 keeps its status, type and message; 429 is retryable with its retry-after', () => {
    expect(httpFailure(claude(null), 400, {}, error('invalid_request_error', 'max_tokens: Field required'), scrubberFor(claude(null)))).toMatchObject({
      status: 400,
      retryable: false,
      error: { error: { message: 'max_tokens: Field required', type: 'invalid_request_error' } },
    });
    expect(httpFailure(claude(null), 429, { 'retry-after': '7' }, error('rate_limit_error', 'slow down'), scrubberFor(claude(null)))).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 7 });
  });
});
