import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '@switchyard/config';
import type { CallEnvelope } from '@switchyard/contracts';
import { StreamedText } from './streamed-usage.js';

const [gpt, other] = parseGatewayConfig(
  `model_list:
  - model_name: g
    litellm_params: { model: openai/gpt-4o-mini, api_key: sk-x }
  - model_name: o
    litellm_params: { model: groq/llama, api_key: sk-x }
`,
  { source: '<test>', env: {} },
).deployments as [never, never];
const envelope = { estimatedPromptTokens: 12 } as CallEnvelope;
const chunk = (delta: Record<string, unknown>, index = 0) => JSON.stringify({ choices: [{ index, delta }] });

describe('upstream-caller: usage of a stream that reported none', () => {
  it('counts content, refusals and tool-call arguments of every choice, with the prompt estimate', () => {
    const streamed = new StreamedText();
    streamed.add(chunk({ role: 'assistant', content: 'hello' }));
    streamed.add(chunk({ content: ' world' }, 1));
    streamed.add(chunk({ tool_calls: [{ index: 0, function: { name: 'lookup', arguments: '{"q":"x"}' } }] }));
    streamed.add(chunk({ refusal: 'no' }));
    streamed.add('[DONE]');
    const usage = streamed.usage(envelope, other);
    // Approximate encoding: a token per four characters of "hello world" + "lookup{"q":"x"}" + "no".
    const text = 'hello' + ' world' + 'lookup{"q":"x"}' + 'no';
    expect(usage).toMatchObject({ prompt_tokens: 12, completion_tokens: Math.ceil(text.length / 4), switchyard_estimated: true });
    expect(usage.total_tokens).toBe(12 + usage.completion_tokens);
    expect(streamed.usage(envelope, gpt).completion_tokens).toBeGreaterThan(0);
  });

  it('counts the text, thinking and tool input deltas of a /v1/messages stream', () => {
    const streamed = new StreamedText();
    const event = (delta: Record<string, unknown>) => JSON.stringify({ type: 'content_block_delta', index: 0, delta });
    streamed.add(JSON.stringify({ type: 'message_start', message: { id: 'm' } }));
    streamed.add(event({ type: 'text_delta', text: 'hello world' }));
    streamed.add(event({ type: 'thinking_delta', thinking: 'hmm' }));
    streamed.add(event({ type: 'input_json_delta', partial_json: '{"q":1}' }));
    expect(streamed.usage(envelope, other).completion_tokens).toBe(Math.ceil('hello worldhmm{"q":1}'.length / 4));
  });

  it('counts the text and argument deltas of a /v1/responses stream, never their .done repeats', () => {
    const streamed = new StreamedText();
    const event = (type: string, fields: Record<string, unknown>) => JSON.stringify({ type, sequence_number: 0, ...fields });
    streamed.add(event('response.created', { response: { id: 'resp_1', output: [] } }));
    streamed.add(event('response.output_text.delta', { delta: 'hello world' }));
    streamed.add(event('response.output_text.done', { text: 'hello world' }));
    streamed.add(event('response.function_call_arguments.delta', { delta: '{"q":1}' }));
    streamed.add(event('response.function_call_arguments.done', { arguments: '{"q":1}' }));
    expect(streamed.usage(envelope, other).completion_tokens).toBe(Math.ceil('hello world{"q":1}'.length / 4));
  });

  it('counts a long stream the same after it stops keeping raw chunks', () => {
    const short = new StreamedText();
    const long = new StreamedText();
    const piece = chunk({ content: 'abcd' });
    for (let i = 0; i < 10; i++) short.add(piece);
    // Past 64 KiB of raw chunks only the text is kept.
    for (let i = 0; i < 5_000; i++) long.add(piece);
    expect(short.usage(envelope, other).completion_tokens).toBe(10);
    expect(long.usage(envelope, other).completion_tokens).toBe(5_000);
  });

  it('completion text of the completions endpoint counts too', () => {
    const streamed = new StreamedText();
    streamed.add(JSON.stringify({ choices: [{ index: 0, text: 'abcdefgh' }] }));
    expect(streamed.usage(envelope, other).completion_tokens).toBe(2);
  });
});
