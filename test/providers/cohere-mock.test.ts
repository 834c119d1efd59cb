import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCohereMock, type CohereMock } from '../harness/index.js';

/** The Cohere mock refuses what Cohere's API reference says Cohere refuses: tests through it mean something. */

const KEY = 'co-mock-key';
const ok = { model: 'command-r', messages: [{ role: 'user', content: 'hi' }] };
const embed = { model: 'embed-v4.0', texts: ['a'], input_type: 'search_document', embedding_types: ['float'] };

describe('providers cohere: the Cohere mock checks requests as Cohere does', () => {
  let mock: CohereMock;
  beforeAll(async () => {
    mock = await startCohereMock({ apiKey: KEY });
  });
  afterAll(async () => mock?.close());

  const post = (body: unknown, path = '/v2/chat', authorization = `Bearer ${KEY}`) =>
    fetch(`${mock.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });

  it('providers cohere: mock answers valid chat and embed requests and counts them', async () => {
    mock.reset();
    const chat = await post(ok);
    expect(chat.status).toBe(200);
    expect(await chat.json()).toMatchObject({ finish_reason: 'COMPLETE', message: { role: 'assistant', content: [{ type: 'text' }] }, usage: { tokens: { input_tokens: expect.any(Number) } } });
    const vectors = await post(embed, '/v2/embed');
    expect(await vectors.json()).toMatchObject({ embeddings: { float: [expect.any(Array)] }, meta: { billed_units: { input_tokens: 1 } } });
    expect(mock.calls).toBe(2);
  });

  it.each([
    ['a wrong key', ok, '/v2/chat', 'Bearer nope', 401],
    ['an OpenAI-only field', { ...ok, stream_options: { include_usage: true } }, '/v2/chat', undefined, 400],
    ['n', { ...ok, n: 2 }, '/v2/chat', undefined, 400],
    ['a message name', { ...ok, messages: [{ role: 'user', name: 'ann', content: 'hi' }] }, '/v2/chat', undefined, 400],
    ['a developer role', { ...ok, messages: [{ role: 'developer', content: 'x' }] }, '/v2/chat', undefined, 400],
    ['top_p 1 as p', { ...ok, p: 1 }, '/v2/chat', undefined, 400],
    ['a lowercase tool_choice', { ...ok, tools: [{ type: 'function', function: { name: 'f', parameters: {} } }], tool_choice: 'required' }, '/v2/chat', undefined, 400],
    ['a strict flag on a tool', { ...ok, tools: [{ type: 'function', function: { name: 'f', parameters: {}, strict: true } }] }, '/v2/chat', undefined, 400],
    ['a tool result answering no call', { ...ok, messages: [...ok.messages, { role: 'tool', tool_call_id: 'c1', content: 'x' }] }, '/v2/chat', undefined, 400],
    ['an assistant turn saying nothing', { ...ok, messages: [...ok.messages, { role: 'assistant', content: '' }] }, '/v2/chat', undefined, 400],
    ['tool call arguments that are not JSON', { ...ok, messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{x' } }] }] }, '/v2/chat', undefined, 400],
    ['an embed without input_type', { ...embed, input_type: undefined }, '/v2/embed', undefined, 400],
    ['an embed without embedding_types', { ...embed, embedding_types: undefined }, '/v2/embed', undefined, 400],
    ['OpenAI embeddings fields', { ...embed, input: 'a', encoding_format: 'float' }, '/v2/embed', undefined, 400],
    ['an unknown path', ok, '/v1/chat/completions', undefined, 404],
  ])('providers cohere: mock refuses %s with Cohere\'s error shape', async (_name, body, path, authorization, status) => {
    mock.reset();
    const res = await post(body, path, authorization);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ id: expect.any(String), message: expect.any(String) });
    expect(mock.calls).toBe(0);
    expect(mock.refusals).toHaveLength(1);
  });
});
