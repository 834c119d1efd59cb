import { describe, expect, it } from 'vitest';
import { chatResponseToResponse } from './chat-to-response.js';
import { responseProblems } from '../../test/responses-conformance.js';
import { TRANSLATED_RESPONSE_PREFIX } from './response-object.js';

const usage = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, prompt_tokens_details: { cached_tokens: 2 } };
const completion = (message: Record<string, unknown>, finish = 'stop') => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'served-model',
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
  usage,
});

describe('responses: chat response -> response', () => {
  it('responses: a text answer is a completed response with one message, the request echoed, usage in Responses terms', () => {
    const client = { model: 'm', input: 'hi', instructions: 'brief', metadata: { team: 'a' }, temperature: 0.3, max_output_tokens: 50 };
    const { body, usage: settled } = chatResponseToResponse(completion({ content: 'Hello!' }), client);
    expect(responseProblems(body)).toEqual([]);
    expect(body).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'served-model',
      created_at: 1_700_000_000,
      instructions: 'brief',
      metadata: { team: 'a' },
      temperature: 0.3,
      max_output_tokens: 50,
      store: false,
      output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello!', annotations: [] }] }],
      usage: { input_tokens: 12, input_tokens_details: { cached_tokens: 2 }, output_tokens: 5, total_tokens: 17 },
    });
    expect(String(body.id).startsWith(TRANSLATED_RESPONSE_PREFIX)).toBe(true);
    expect(settled).toMatchObject({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
  });

  it('responses: tool calls become function_call items with their call ids', () => {
    const tools = [{ type: 'function', name: 'weather', parameters: { type: 'object', properties: {} } }];
    const { body } = chatResponseToResponse(
      completion({ content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] }, 'tool_calls'),
      { model: 'm', input: 'x', tools },
    );
    expect(responseProblems(body)).toEqual([]);
    expect(body.output).toEqual([expect.objectContaining({ type: 'function_call', call_id: 'call_9', name: 'weather', arguments: '{"city":"Oslo"}', status: 'completed' })]);
    expect(body.tools).toEqual([{ type: 'function', name: 'weather', description: null, parameters: { type: 'object', properties: {} }, strict: true }]);
  });

  it('responses: a reply cut by the token limit is incomplete (max_output_tokens)', () => {
    const { body } = chatResponseToResponse(completion({ content: 'Hel' }, 'length'), { model: 'm', input: 'x' });
    expect(responseProblems(body)).toEqual([]);
    expect(body).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, completed_at: null });
  });
});
