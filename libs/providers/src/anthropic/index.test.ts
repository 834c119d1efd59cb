import { describe, expect, it } from 'vitest';
import { GatewayError } from '@switchyard/contracts';
import { buildProviderRequest } from '../request.js';
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
