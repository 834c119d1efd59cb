import { describe, expect, it } from 'vitest';
import { createProviderClient } from './client.js';
import { collect, deployment } from '../test/fixtures.js';
import { eventProblems, responseProblems } from '../test/responses-conformance.js';

const client = createProviderClient();
const mock = deployment({ provider: 'mock', providerModel: 'mock-1', apiKey: null, mock: null });
const body = { model: 'x', max_tokens: 20, system: 'Be brief.', messages: [{ role: 'user', content: 'What is NATS?' }] };

describe('providers mock: /v1/messages', () => {
  it('providers mock: a messages call is answered as an Anthropic message', async () => {
    const res = await client.send({ deployment: mock, endpoint: 'messages', body, stream: false, wantUsage: false });
    if (res.kind !== 'json') throw new Error(`expected json, got ${res.kind}`);
    expect(JSON.parse(res.body.toString())).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'This is a mock response to: What is NATS?' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
    });
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('providers mock: a messages stream is Anthropic events, the usage on the last', async () => {
    const res = await client.send({ deployment: mock, endpoint: 'messages', body: { ...body, stream: true }, stream: true, wantUsage: false });
    if (res.kind !== 'stream') throw new Error(`expected a stream, got ${res.kind}`);
    const events = await collect(res.events);
    expect(events[0]!.event).toBe('message_start');
    expect(events.at(-1)).toMatchObject({ event: 'message_stop', usage: { total_tokens: expect.any(Number) } });
    const text = events
      .filter((event) => event.event === 'content_block_delta')
      .map((event) => (JSON.parse(event.data) as { delta: { text: string } }).delta.text)
      .join('');
    expect(text).toBe('This is a mock response to: What is NATS?');
  });
});

describe('providers mock: /v1/responses', () => {
  const request = { model: 'x', instructions: 'Be brief.', input: 'What is NATS?' };

  it('providers mock: a response is answered through the mock\'s chat, a valid Response with usage', async () => {
    const res = await client.send({ deployment: mock, endpoint: 'responses', body: request, stream: false, wantUsage: false });
    if (res.kind !== 'json') throw new Error(`expected json, got ${res.kind}`);
    const response: unknown = JSON.parse(res.body.toString());
    expect(responseProblems(response)).toEqual([]);
    expect(response).toMatchObject({ object: 'response', status: 'completed', output: [{ type: 'message', content: [{ text: 'This is a mock response to: What is NATS?' }] }] });
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('providers mock: a response stream is valid Responses events, the usage on response.completed', async () => {
    const res = await client.send({ deployment: mock, endpoint: 'responses', body: { ...request, stream: true }, stream: true, wantUsage: false });
    if (res.kind !== 'stream') throw new Error(`expected a stream, got ${res.kind}`);
    const events = await collect(res.events);
    expect(eventProblems(events)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ event: 'response.completed', usage: { total_tokens: expect.any(Number) } });
  });
});
