import { describe, expect, it } from 'vitest';
import { ProviderStreamError } from '../types.js';
import { CohereStreamTranslator } from './stream.js';

const event = (data: Record<string, unknown>) => ({ event: String(data.type), data: JSON.stringify(data) });

function translate(events: Array<Record<string, unknown>>) {
  const translator = new CohereStreamTranslator('command/1', 'command-r');
  const out = events.flatMap((e) => translator.push(event(e)));
  out.push(...translator.end());
  return out;
}

const chunks = (out: ReturnType<typeof translate>) => out.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data));

const END = { type: 'message-end', delta: { finish_reason: 'COMPLETE', usage: { billed_units: { input_tokens: 3, output_tokens: 2 }, tokens: { input_tokens: 40, output_tokens: 2 } } } };

describe('providers: cohere stream as OpenAI chunks', () => {
  it('providers: cohere text stream: a role chunk, content, a finish chunk, one usage-only chunk, [DONE]', () => {
    const out = translate([
      { type: 'message-start', id: 'c-9', delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } },
      { type: 'content-start', index: 0, delta: { message: { content: { type: 'text', text: '' } } } },
      { type: 'content-delta', index: 0, delta: { message: { content: { text: 'Hel' } } } },
      { type: 'content-delta', index: 0, delta: { message: { content: { text: 'lo' } } } },
      { type: 'content-end', index: 0 },
      END,
    ]);
    const parsed = chunks(out);
    expect(parsed.every((c) => c.id === 'c-9' && c.object === 'chat.completion.chunk' && c.model === 'command-r')).toBe(true);
    expect(parsed[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(parsed.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello');
    expect(parsed.at(-2).choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(parsed.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 40, completion_tokens: 2, total_tokens: 42 } });
    expect(out.filter((e) => e.usageOnly)).toHaveLength(1);
    expect(out.at(-1)!.data).toBe('[DONE]');
  });

  it('providers: cohere tool plan, then two tool calls with streamed arguments, finish tool_calls', () => {
    const call = (id: string, name: string) => ({ type: 'tool-call-start', index: 1, delta: { message: { tool_calls: { id, type: 'function', function: { name, arguments: '' } } } } });
    const args = (piece: string) => ({ type: 'tool-call-delta', index: 1, delta: { message: { tool_calls: { function: { arguments: piece } } } } });
    const out = translate([
      { type: 'message-start', id: 'c-10', delta: { message: { role: 'assistant' } } },
      { type: 'tool-plan-delta', delta: { message: { tool_plan: 'I will check.' } } },
      call('w_1', 'weather'),
      args('{"city":'),
      args('"Oslo"}'),
      { type: 'tool-call-end', index: 1 },
      call('w_2', 'time'),
      args('{}'),
      { type: 'tool-call-end', index: 2 },
      { type: 'message-end', delta: { finish_reason: 'TOOL_CALL', usage: { billed_units: { input_tokens: 1, output_tokens: 1 } } } },
    ]);
    const deltas = chunks(out).map((c) => c.choices[0]?.delta ?? {});
    expect(deltas.find((d) => d.reasoning_content)?.reasoning_content).toBe('I will check.');
    const calls = deltas.flatMap((d) => d.tool_calls ?? []);
    expect(calls.filter((c) => c.id)).toEqual([
      { index: 0, id: 'w_1', type: 'function', function: { name: 'weather', arguments: '' } },
      { index: 1, id: 'w_2', type: 'function', function: { name: 'time', arguments: '' } },
    ]);
    expect(calls.filter((c) => c.index === 0).map((c) => c.function.arguments).join('')).toBe('{"city":"Oslo"}');
    expect(calls.filter((c) => c.index === 1).map((c) => c.function.arguments).join('')).toBe('{}');
    expect(chunks(out).at(-2).choices[0].finish_reason).toBe('tool_calls');
  });

  it('providers: cohere stream that ends without message-end, with an error, or with a broken event is a stream error', () => {
    expect(() => translate([{ type: 'message-start', id: 'x' }, { type: 'content-delta', delta: { message: { content: { text: 'Hel' } } } }])).toThrow(ProviderStreamError);
    expect(() => translate([{ type: 'message-end', delta: { error: 'internal error', finish_reason: 'ERROR' } }])).toThrow(ProviderStreamError);
    const translator = new CohereStreamTranslator('command/1', 'command-r');
    expect(() => translator.push({ event: 'content-delta', data: '{"type": "content-del' })).toThrow(ProviderStreamError);
  });

  it('providers: cohere citation and debug events and a [DONE] terminator say nothing', () => {
    const translator = new CohereStreamTranslator('command/1', 'command-r');
    expect(translator.push({ event: undefined, data: '[DONE]' })).toEqual([]);
    expect(translator.push(event({ type: 'citation-start', index: 0, delta: { message: { citations: {} } } }))).toEqual([]);
    expect(translator.push(event({ type: 'debug', prompt: 'x' }))).toEqual([]);
  });
});
