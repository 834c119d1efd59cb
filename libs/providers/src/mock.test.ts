import { describe, expect, it } from 'vitest';
import type { Deployment } from '@switchyard/config';
import { createProviderClient } from './client.js';
import { splitWords } from './mock.js';
import { ProviderStreamError, type ProviderCall, type ProviderResponse } from './types.js';
import { collect, deployment } from '../test/fixtures.js';

const client = createProviderClient();
const mockDeployment = (mock: Deployment['mock'] = null) => deployment({ provider: 'mock', providerModel: 'mock-1', apiKey: null, mock });
const messages = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: [{ type: 'text', text: 'What is ' }, { type: 'text', text: 'NATS?' }] },
];

function send(d: Deployment, extra: Partial<ProviderCall> = {}): Promise<ProviderResponse> {
  return client.send({ deployment: d, endpoint: 'chat.completions', body: { model: 'x', messages }, stream: false, wantUsage: false, ...extra });
}

function jsonOf(res: ProviderResponse): Record<string, any> {
  if (res.kind !== 'json') throw new Error(`expected json, got ${res.kind}`);
  return JSON.parse(res.body.toString());
}

describe('providers mock', () => {
  it('providers mock: chat echoes the last user text with usage of ceil(chars/4)', async () => {
    const res = await send(mockDeployment());
    const body = jsonOf(res);
    const reply = 'This is a mock response to: What is NATS?';
    expect(body).toMatchObject({ object: 'chat.completion', model: 'mock-1', choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }] });
    const usage = { prompt_tokens: Math.ceil('Be brief.What is NATS?'.length / 4), completion_tokens: Math.ceil(reply.length / 4) };
    expect(body.usage).toEqual({ ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens });
    expect(res.kind === 'json' && res.usage).toEqual(body.usage);
  });

  it('providers mock: deterministic ids and replies, fixed response honoured, echo cut to 200 chars', async () => {
    const [a, b] = await Promise.all([send(mockDeployment()), send(mockDeployment())]);
    expect(jsonOf(a).id).toBe(jsonOf(b).id);
    expect(jsonOf(a).id).toMatch(/^chatcmpl-mock[0-9a-f]{24}$/);
    const fixed = jsonOf(await send(mockDeployment({ latencyMs: 0, response: 'Fixed.' })));
    expect(fixed.choices[0].message.content).toBe('Fixed.');
    expect(fixed.id).not.toBe(jsonOf(a).id);
    const long = jsonOf(await send(mockDeployment(), { body: { messages: [{ role: 'user', content: 'x'.repeat(500) }] } }));
    expect(long.choices[0].message.content).toBe(`This is a mock response to: ${'x'.repeat(200)}`);
  });

  it('providers mock: streams word chunks, then a usage-only chunk, then [DONE]', async () => {
    const res = await send(mockDeployment({ latencyMs: 0, response: 'one two three four five six seven' }), { stream: true });
    if (res.kind !== 'stream') throw new Error('expected a stream');
    const events = await collect(res.events);
    expect(events.at(-1)).toEqual({ data: '[DONE]', usage: null, usageOnly: false });
    const usageChunk = events.at(-2);
    expect(usageChunk?.usageOnly).toBe(true);
    expect(usageChunk?.usage?.completion_tokens).toBe(Math.ceil('one two three four five six seven'.length / 4));
    const chunks = events.slice(0, -2).map((e) => JSON.parse(e.data));
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('one two three four five six seven');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
  });

  it('providers mock: completions answer as text_completion', async () => {
    const body = jsonOf(await send(mockDeployment(), { endpoint: 'completions', body: { prompt: 'Say hi' } }));
    expect(body).toMatchObject({ object: 'text_completion', choices: [{ text: 'This is a mock response to: Say hi' }] });
    expect(body.id).toMatch(/^cmpl-mock/);
  });

  it('providers mock: embeddings are deterministic unit vectors per input', async () => {
    const embed = (body: Record<string, unknown>) => send(mockDeployment(), { endpoint: 'embeddings', body });
    const one = jsonOf(await embed({ input: ['alpha', 'beta'] }));
    expect(one.data).toHaveLength(2);
    expect(one.data[0].embedding).toHaveLength(8);
    expect(Math.hypot(...one.data[0].embedding)).toBeCloseTo(1, 6);
    expect(one.data[0].embedding).not.toEqual(one.data[1].embedding);
    const again = jsonOf(await embed({ input: 'alpha' }));
    expect(again.data[0].embedding).toEqual(one.data[0].embedding);
    expect(jsonOf(await embed({ input: 'alpha', dimensions: 64 })).data[0].embedding).toHaveLength(64);
    // ceil(5/4) + ceil(4/4): each input is counted on its own.
    expect(one.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    const b64 = jsonOf(await embed({ input: 'alpha', encoding_format: 'base64' }));
    const floats = new Float32Array(Uint8Array.from(Buffer.from(b64.data[0].embedding, 'base64')).buffer);
    expect(Array.from(floats)[0]).toBeCloseTo(one.data[0].embedding[0], 6);
  });

  it('providers mock: latency applies and the abort signal is respected', async () => {
    const slow = mockDeployment({ latencyMs: 200, response: null });
    const started = Date.now();
    expect((await send(slow)).kind).toBe('json');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    expect(await send(slow, { signal: controller.signal })).toMatchObject({ kind: 'failure', outcome: 'cancelled' });
    const streamController = new AbortController();
    const res = await send(slow, { stream: true, signal: streamController.signal });
    if (res.kind !== 'stream') throw new Error('expected a stream');
    const seen: string[] = [];
    const done = (async () => {
      for await (const event of res.events) {
        seen.push(event.data);
        streamController.abort();
      }
    })();
    await expect(done).rejects.toBeInstanceOf(ProviderStreamError);
    expect(seen).toHaveLength(1);
  });

  it('providers mock: splitWords keeps every character', () => {
    expect(splitWords('a b c d e f g', 4).join('')).toBe('a b c d e f g');
    expect(splitWords('', 4)).toEqual(['']);
    expect(splitWords('single', 4)).toEqual(['single']);
  });
});
