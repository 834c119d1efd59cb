import { describe, expect, it } from 'vitest';
import { parseSse, toStreamEvent, withoutNullUsage } from './sse.js';
import { collect } from '../test/fixtures.js';

const chunk = (content: string) =>
  JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }], usage: null });
const usageChunk = JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } });
const STREAM = `: keep-alive\n\ndata: ${chunk('héllo ')}\n\ndata: ${chunk('wörld 👋')}\r\n\r\ndata: ${usageChunk}\n\ndata: [DONE]\n\n`;

async function* bytesIn(pieces: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield piece;
}

/** Splits bytes at the given offsets (deliberately inside multi-byte characters too). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    out.push(bytes.subarray(start, cut));
    start = cut;
  }
  out.push(bytes.subarray(start));
  return out;
}

describe('providers sse', () => {
  it('providers sse: parses a stream fed in one piece', async () => {
    const events = await collect(parseSse(bytesIn([new TextEncoder().encode(STREAM)])));
    expect(events.map((e) => e.data)).toEqual([chunk('héllo '), chunk('wörld 👋'), usageChunk, '[DONE]']);
    expect(events.map((e) => e.usageOnly)).toEqual([false, false, true, false]);
    expect(events[2]?.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    expect(events[3]).toEqual({ data: '[DONE]', usage: null, usageOnly: false });
  });

  it('providers sse: gives the same events whatever the byte splits', async () => {
    const bytes = new TextEncoder().encode(STREAM);
    const expected = await collect(parseSse(bytesIn([bytes])));
    // Every single-byte position, then random multi-way splits.
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(await collect(parseSse(bytesIn(split(bytes, [cut]))))).toEqual(expected);
    }
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 12) }, () => Math.floor(random() * bytes.length));
      expect(await collect(parseSse(bytesIn(split(bytes, cuts))))).toEqual(expected);
    }
    const oneByteEach = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(await collect(parseSse(bytesIn(oneByteEach)))).toEqual(expected);
  });

  it('providers sse: drops a trailing event that never got its blank line', async () => {
    const events = await collect(parseSse(bytesIn([new TextEncoder().encode(`data: ${chunk('a')}\n\ndata: {"id":"trunc`)])));
    expect(events.map((e) => e.data)).toEqual([chunk('a')]);
  });

  it('providers sse: a source error reaches the consumer after the events before it', async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode(`data: ${chunk('a')}\n\ndata: ${chunk('b')}`);
      throw new Error('socket closed');
    }
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const event of parseSse(broken())) seen.push(event.data);
      })(),
    ).rejects.toThrow('socket closed');
    expect(seen).toEqual([chunk('a')]);
  });

  it('providers sse: usage on a content chunk (Mistral) or in x_groq (Groq) is read but not usage-only', () => {
    const mistral = toStreamEvent(
      JSON.stringify({ choices: [{ index: 0, delta: { content: '' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }),
    );
    expect(mistral.usage?.total_tokens).toBe(3);
    expect(mistral.usageOnly).toBe(false);
    const groq = toStreamEvent(JSON.stringify({ choices: [], x_groq: { usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 } } }));
    expect(groq.usage?.total_tokens).toBe(5);
    expect(toStreamEvent('{"usage": null, "choices": []}')).toMatchObject({ usage: null, usageOnly: false });
    expect(toStreamEvent('not json "usage": {')).toMatchObject({ usage: null, usageOnly: false });
  });
});

describe('providers sse: usage a client did not ask for', () => {
  it.each([
    ['{"id":"c","choices":[{"index":0,"delta":{"content":"x"}}],"usage":null}', '{"id":"c","choices":[{"index":0,"delta":{"content":"x"}}]}'],
    ['{"usage":null,"id":"c","choices":[]}', '{"id":"c","choices":[]}'],
    ['{"id": "c", "usage": null, "choices": []}', '{"id": "c", "choices": []}'],
    ['{"id":"c","choices":[{"delta":{"content":"\\"usage\\":null"}}]}', '{"id":"c","choices":[{"delta":{"content":"\\"usage\\":null"}}]}'],
    ['{"id":"c","choices":[],"usage":{"prompt_tokens":1}}', '{"id":"c","choices":[],"usage":{"prompt_tokens":1}}'],
  ])('providers sse: %s loses only its "usage": null', (data, expected) => {
    expect(withoutNullUsage(data)).toBe(expected);
    expect(JSON.parse(withoutNullUsage(data))).toBeTruthy();
  });
});
