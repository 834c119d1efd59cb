import { describe, expect, it } from 'vitest';
import { cohereChatToOpenAI, cohereEmbedToOpenAI, finishReasonOf, usageOfCohere } from './response.js';

describe('providers: cohere responses as OpenAI chat.completion', () => {
  it('providers: cohere text, usage from tokens and finish_reason', () => {
    const { body, usage } = cohereChatToOpenAI(
      {
        id: 'c-1',
        finish_reason: 'COMPLETE',
        message: { role: 'assistant', content: [{ type: 'text', text: 'Hello ' }, { type: 'text', text: 'there' }] },
        usage: { billed_units: { input_tokens: 5, output_tokens: 2 }, tokens: { input_tokens: 70, output_tokens: 2 } },
      },
      'command-r',
      1_700_000_000,
    );
    expect(body).toEqual({
      id: 'c-1',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'command-r',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 70, completion_tokens: 2, total_tokens: 72 },
    });
    expect(usage).toEqual({ prompt_tokens: 70, completion_tokens: 2, total_tokens: 72 });
  });

  it('providers: cohere tool calls, the tool plan as reasoning_content, content null', () => {
    const { body } = cohereChatToOpenAI(
      {
        id: 'c-2',
        finish_reason: 'TOOL_CALL',
        message: {
          role: 'assistant',
          tool_plan: 'I will look up the weather.',
          tool_calls: [{ id: 'weather_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
        },
        usage: { billed_units: { input_tokens: 9, output_tokens: 4 } },
      },
      'command-r',
    );
    expect((body.choices as unknown[])[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [{ id: 'weather_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
        reasoning_content: 'I will look up the weather.',
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
    // billed_units stands in when the response has no tokens.
    expect(body.usage).toEqual({ prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 });
  });

  it.each([
    ['COMPLETE', 'stop'],
    ['STOP_SEQUENCE', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['TOOL_CALL', 'tool_calls'],
    ['ERROR', 'stop'],
    [undefined, null],
  ])('providers: cohere finish_reason %s -> %s', (reason, expected) => {
    expect(finishReasonOf(reason)).toBe(expected);
  });

  it('providers: cohere usage reads cached tokens and ignores what is not usage', () => {
    expect(usageOfCohere({ tokens: { input_tokens: 10, output_tokens: 1 }, cached_tokens: 8 })).toEqual({
      prompt_tokens: 10,
      completion_tokens: 1,
      total_tokens: 11,
      prompt_tokens_details: { cached_tokens: 8 },
    });
    expect(usageOfCohere(undefined)).toBeNull();
    expect(usageOfCohere({ search_units: 1 } as never)).toBeNull();
  });
});

describe('providers: cohere embed responses as OpenAI embeddings', () => {
  const json = { id: 'e-1', embeddings: { float: [[0.5, -0.25], [1, 0]] }, texts: ['a', 'b'], meta: { billed_units: { input_tokens: 3 } } };

  it('providers: cohere float vectors, in order, with the billed input tokens', () => {
    const { body, usage } = cohereEmbedToOpenAI(json, 'embed-v4.0', 'float');
    expect(body).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.5, -0.25] },
        { object: 'embedding', index: 1, embedding: [1, 0] },
      ],
      model: 'embed-v4.0',
      usage: { prompt_tokens: 3, total_tokens: 3 },
    });
    expect(usage).toEqual({ prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 });
  });

  it('providers: cohere base64 is OpenAI base64: the float32 bytes of each vector', () => {
    const { body } = cohereEmbedToOpenAI(json, 'embed-v4.0', 'base64');
    const first = (body.data as Array<{ embedding: string }>)[0]!.embedding;
    const bytes = Buffer.from(first, 'base64');
    expect([...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)]).toEqual([0.5, -0.25]);
  });
});
