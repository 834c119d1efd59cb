import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import { describe, expect, it } from 'vitest';
import { ProviderStreamError, type StreamEvent } from '../types.js';
import { converseToChatResponse } from './chat-response.js';
import { ConverseStreamTranslator } from './chat-stream.js';
import { decodeEventStream } from './event-stream.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function event(type: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: { ':event-type': { type: 'string', value: type }, ':content-type': { type: 'string', value: 'application/json' }, ':message-type': { type: 'string', value: 'event' } },
    body: fromUtf8(JSON.stringify({ ...payload, p: 'abc' })),
  });
}

function exception(type: string): Uint8Array {
  return codec.encode({
    headers: { ':exception-type': { type: 'string', value: type }, ':content-type': { type: 'string', value: 'application/json' }, ':message-type': { type: 'string', value: 'exception' } },
    body: fromUtf8(JSON.stringify({ message: 'slow down' })),
  });
}

/** Bytes delivered in pieces of `size`, as a socket may split them. */
async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function translate(bytes: Uint8Array, size = 7, jsonMode = false): Promise<Array<Record<string, unknown> | '[DONE]'>> {
  const translator = new ConverseStreamTranslator('dep-1', 'anthropic.claude-v2', jsonMode);
  const out: StreamEvent[] = [];
  for await (const raw of decodeEventStream(pieces(bytes, size))) out.push(...translator.push(raw));
  out.push(...translator.end());
  return out.map((e) => (e.data === '[DONE]' ? '[DONE]' : (JSON.parse(e.data) as Record<string, unknown>)));
}

const USAGE = { inputTokens: 10, outputTokens: 4, totalTokens: 19, cacheReadInputTokens: 5 };
const TOOL_STREAM = Buffer.concat([
  event('messageStart', { role: 'assistant' }),
  event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi ' } }),
  event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'there' } }),
  event('contentBlockStop', { contentBlockIndex: 0 }),
  event('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tu1', name: 'weather' } } }),
  event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":' } } }),
  event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '"Oslo"}' } } }),
  event('contentBlockStop', { contentBlockIndex: 1 }),
  event('messageStop', { stopReason: 'tool_use' }),
  event('metadata', { usage: USAGE, metrics: { latencyMs: 5 } }),
]);

describe('providers bedrock: ConverseStream -> OpenAI chunks', () => {
  it.each([1, 7, 4096])('providers bedrock: text and a tool call stream as OpenAI deltas, then a usage chunk and [DONE] (bytes in pieces of %i)', async (size) => {
    const chunks = await translate(TOOL_STREAM, size);
    const deltas = chunks.slice(0, -2).map((chunk) => ((chunk as { choices: Array<{ delta: unknown; finish_reason: unknown }> }).choices[0]!));
    expect(deltas.map((choice) => choice.delta)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hi ' },
      { content: 'there' },
      { tool_calls: [{ index: 0, id: 'tu1', type: 'function', function: { name: 'weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] },
      {},
    ]);
    expect(deltas.at(-1)!.finish_reason).toBe('tool_calls');
    expect(chunks.at(-2)).toMatchObject({ choices: [], usage: { prompt_tokens: 15, completion_tokens: 4, total_tokens: 19, prompt_tokens_details: { cached_tokens: 5 } } });
    expect(chunks.at(-1)).toBe('[DONE]');
  });

  it('providers bedrock: in JSON mode the forced tool\'s input streams as content and the finish is stop', async () => {
    const bytes = Buffer.concat([
      event('messageStart', { role: 'assistant' }),
      event('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tu1', name: 'json_tool_call' } } }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{"a":1}' } } }),
      event('messageStop', { stopReason: 'tool_use' }),
    ]);
    const chunks = (await translate(bytes, 64, true)) as Array<{ choices: Array<{ delta: { content?: string }; finish_reason: string | null }> }>;
    expect(chunks[1]!.choices[0]!.delta).toEqual({ content: '{"a":1}' });
    expect(chunks[2]!.choices[0]!.finish_reason).toBe('stop');
  });

  it.each([
    ['an exception event', Buffer.concat([event('messageStart', { role: 'assistant' }), exception('throttlingException')]), /ended its stream with throttlingException/],
    ['a message cut short', TOOL_STREAM.subarray(0, TOOL_STREAM.length - 5), /Truncated/],
    ['a corrupted CRC', Buffer.from(TOOL_STREAM.map((byte, i) => (i === 40 ? byte ^ 1 : byte))), /checksum/i],
    ['a clean end before messageStop', Buffer.concat([event('messageStart', { role: 'assistant' }), event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } })]), /before its messageStop/],
    ['a prefix announcing 2 GiB', Buffer.from([0x80, 0, 0, 0, 1, 2, 3]), /announced 2147483648 bytes/],
  ])('providers bedrock: %s breaks the stream', async (_name, bytes, message) => {
    await expect(translate(bytes)).rejects.toThrow(message);
  });

  it('providers bedrock: an exception event is a ProviderStreamError (never definite)', async () => {
    const error = await translate(exception('modelStreamErrorException')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderStreamError);
    expect((error as ProviderStreamError).definite).toBe(false);
  });
});

describe('providers bedrock: Converse -> chat.completion', () => {
  it('providers bedrock: text, tool uses, reasoning and usage map to OpenAI\'s message', () => {
    const { body, usage } = converseToChatResponse(
      {
        output: {
          message: {
            role: 'assistant',
            content: [{ reasoningContent: { reasoningText: { text: 'think', signature: 's' } } }, { text: 'Hi' }, { toolUse: { toolUseId: 't1', name: 'f', input: { x: 1 } } }],
          },
        },
        stopReason: 'tool_use',
        usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
        metrics: { latencyMs: 1 },
      },
      'm',
      false,
      1,
    );
    expect(body).toMatchObject({
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: 'Hi', refusal: null, reasoning_content: 'think', thinking_blocks: [{ type: 'thinking', thinking: 'think', signature: 's' }], tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }] } }],
    });
    expect(body.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
  ])('providers bedrock: stopReason %s is finish_reason %s', (stopReason, finish) => {
    const { body } = converseToChatResponse({ output: { message: { content: [{ text: 'x' }] } }, stopReason }, 'm', false);
    expect((body.choices as Array<{ finish_reason: string }>)[0]!.finish_reason).toBe(finish);
  });
});
