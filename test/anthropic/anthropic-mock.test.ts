import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnthropicMock, type AnthropicMock } from '../harness/index.js';

/** The Anthropic mock refuses what Anthropic's API reference says Anthropic refuses: tests through it mean something. */

const KEY = 'sk-ant-mock';
const ok = { model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

describe('anthropic: the Anthropic mock checks requests as Anthropic does', () => {
  let mock: AnthropicMock;
  beforeAll(async () => {
    mock = await startAnthropicMock({ apiKey: KEY });
  });
  afterAll(async () => mock?.close());

  const post = (body: unknown, headers: Record<string, string> = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' }, path = '/v1/messages') =>
    fetch(`${mock.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('anthropic: mock answers a valid request and counts it', async () => {
    mock.reset();
    const res = await post(ok);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'end_turn' });
    expect(mock.calls).toBe(1);
  });

  it.each([
    ['a wrong x-api-key', ok, { 'x-api-key': 'nope', 'anthropic-version': '2023-06-01' }, 401, 'authentication_error'],
    ['no anthropic-version', ok, { 'x-api-key': KEY }, 400, 'invalid_request_error'],
    ['no max_tokens', { model: 'c', messages: ok.messages }, undefined, 400, 'invalid_request_error'],
    ['a system message role', { ...ok, messages: [{ role: 'system', content: 'x' }, ...ok.messages] }, undefined, 400, 'invalid_request_error'],
    ['an OpenAI-only field', { ...ok, stream_options: { include_usage: true } }, undefined, 400, 'invalid_request_error'],
    ['a temperature above 1', { ...ok, temperature: 1.5 }, undefined, 400, 'invalid_request_error'],
    ['a tool_result without its tool_use', { ...ok, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'x' }] }] }, undefined, 400, 'invalid_request_error'],
    [
      'a tool_use not answered in the next message',
      { ...ok, messages: [...ok.messages, { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] }, { role: 'user', content: 'next' }] },
      undefined,
      400,
      'invalid_request_error',
    ],
  ])('anthropic: mock refuses %s', async (_name, body, headers, status, type) => {
    mock.reset();
    const res = await post(body, headers);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type } });
    expect(mock.calls).toBe(0);
    expect(mock.refusals).toHaveLength(1);
  });

  it('anthropic: mock count_tokens needs no max_tokens and counts apart', async () => {
    mock.reset();
    const res = await post({ model: 'c', messages: ok.messages }, undefined, '/v1/messages/count_tokens');
    expect(await res.json()).toEqual({ input_tokens: 1 });
    expect(mock.countTokensCalls).toBe(1);
    expect(mock.calls).toBe(0);
  });
});
