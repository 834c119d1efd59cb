import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../types.js';
import { ChatToResponsesStream } from './chat-stream-to-responses.js';
import { eventProblems, responseProblems } from '../../test/responses-conformance.js';

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'served', choices: [{ index: 0, delta, finish_reason: finish }] });
const usageChunk = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'served', choices: [], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } });

function run(chunks: string[], client: Record<string, unknown> = { model: 'm', input: 'x' }): StreamEvent[] {
  const translator = new ChatToResponsesStream(client);
  return [...chunks.flatMap((data) => translator.push({ event: undefined, data })), ...translator.end()];
}
const types = (events: StreamEvent[]) => events.map((event) => event.event);
const payloads = (events: StreamEvent[]) => events.map((event) => JSON.parse(event.data) as Record<string, unknown>);

describe('responses: chat stream -> responses events', () => {
  it('responses: text deltas become the named event sequence, each valid against the spec, ending in response.completed with usage', () => {
    const events = run([chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hel' }), chunk({ content: 'lo' }), chunk({}, 'stop'), usageChunk, '[DONE]']);
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(eventProblems(events)).toEqual([]);
    const data = payloads(events);
    expect(data.map((event) => event.sequence_number)).toEqual(data.map((_, i) => i));
    expect(data.filter((event) => event.type === 'response.output_text.delta').map((event) => event.delta)).toEqual(['Hel', 'lo']);
    const completed = data.at(-1)!.response as Record<string, unknown>;
    expect(responseProblems(completed)).toEqual([]);
    expect(completed).toMatchObject({ status: 'completed', model: 'served', usage: { input_tokens: 9, output_tokens: 4, total_tokens: 13 } });
    expect(completed.output).toEqual([expect.objectContaining({ type: 'message', content: [expect.objectContaining({ text: 'Hello' })] })]);
    // The same response id throughout; settlement reads the usage off the last event only.
    expect((data[0]!.response as { id: string }).id).toBe(completed.id);
    expect(events.at(-1)!.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 4 });
    expect(events.slice(0, -1).every((event) => event.usage === null)).toBe(true);
  });

  it('responses: tool-call argument pieces become function_call_arguments deltas, after the text item closes', () => {
    const events = run([
      chunk({ role: 'assistant', content: 'Let me check.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'time', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      usageChunk,
      '[DONE]',
    ]);
    expect(eventProblems(events)).toEqual([]);
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const data = payloads(events);
    const done = data.filter((event) => event.type === 'response.function_call_arguments.done');
    expect(done).toEqual([
      expect.objectContaining({ name: 'weather', arguments: '{"city":"Paris"}', output_index: 1 }),
      expect.objectContaining({ name: 'time', arguments: '{}', output_index: 2 }),
    ]);
    const completed = data.at(-1)!.response as { output: Array<Record<string, unknown>> };
    expect(completed.output.map((item) => [item.type, item.call_id ?? null])).toEqual([['message', null], ['function_call', 'call_1'], ['function_call', 'call_2']]);
  });

  it('responses: a stream cut by the token limit ends in response.incomplete; one without [DONE] still ends', () => {
    const events = run([chunk({ content: 'Hel' }), chunk({}, 'length')]);
    expect(eventProblems(events)).toEqual([]);
    expect(types(events).at(-1)).toBe('response.incomplete');
    expect((payloads(events).at(-1)!.response as Record<string, unknown>).incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it('responses: a provider error mid-stream becomes an error event, and nothing follows it', () => {
    const events = run([chunk({ content: 'Hel' }), JSON.stringify({ error: { message: 'overloaded', type: 'server_error', code: 'server_error' } }), chunk({ content: 'lo' }), '[DONE]']);
    expect(eventProblems(events)).toEqual([]);
    expect(types(events).at(-1)).toBe('error');
    expect(payloads(events).at(-1)).toMatchObject({ code: 'server_error', message: 'overloaded' });
  });
});
