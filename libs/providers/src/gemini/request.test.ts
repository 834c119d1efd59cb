import { describe, expect, it } from 'vitest';
import { GatewayError } from '@switchyard/contracts';
import { chatRequestToGemini } from './request.js';
import { toGeminiSchema } from './schema.js';

const map = (body: Record<string, unknown>, dropParams = false) => chatRequestToGemini({ model: 'gemini-2.5-flash', ...body }, { dropParams });

function refusal(call: () => unknown): GatewayError {
  try {
    call();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

describe('providers: gemini request map', () => {
  it('providers: gemini system, images, tool calls and tool results map as LiteLLM maps them', () => {
    const out = map({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use metric.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.JPG?x=1' } },
            { type: 'image_url', image_url: { url: 'gs://bucket/photo', format: 'image/webp' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }, { id: 'call_2', type: 'function', function: { name: 'time', arguments: '' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '12C' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '10:00' }] },
        { role: 'user', content: 'And tomorrow?' },
      ],
      tools: [
        { type: 'function', function: { name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } } },
        { type: 'function', function: { name: 'time', parameters: { type: 'object', properties: {} } } },
      ],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      parallel_tool_calls: false,
      user: 'u-1',
      stop: 'END',
      temperature: 1.5,
      top_p: 0.9,
      max_tokens: 100,
      max_completion_tokens: 200,
      n: 2,
      seed: 7,
      response_format: { type: 'json_object' },
      stream: true,
    });
    expect(out).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'Use metric.' }] },
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'Weather here?' },
            { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
            { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/a.JPG?x=1' } },
            { fileData: { mimeType: 'image/webp', fileUri: 'gs://bucket/photo' } },
          ],
        },
        { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Oslo' } } }, { functionCall: { name: 'time', args: {} } }] },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'weather', response: { content: '12C' } } },
            { functionResponse: { name: 'time', response: { content: '10:00' } } },
            { text: 'And tomorrow?' },
          ],
        },
      ],
      tools: [{ functionDeclarations: [{ name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }, { name: 'time' }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } },
      generationConfig: { temperature: 1.5, topP: 0.9, maxOutputTokens: 200, candidateCount: 2, stopSequences: ['END'], seed: 7, responseMimeType: 'application/json' },
    });
  });

  it.each([
    ['auto', 'AUTO'],
    ['required', 'ANY'],
    ['none', 'NONE'],
  ])('providers: gemini tool_choice %s is functionCallingConfig mode %s', (choice, mode) => {
    const out = map({ messages: [{ role: 'user', content: 'hi' }], tool_choice: choice });
    expect(out.toolConfig).toEqual({ functionCallingConfig: { mode } });
  });

  it('providers: gemini json_schema response_format and reasoning_effort go into generationConfig', () => {
    const out = map({
      messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'x', strict: true, schema: { type: 'object', properties: { a: { type: ['string', 'null'] } }, additionalProperties: false } } },
      reasoning_effort: 'low',
    });
    expect(out.generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { a: { type: 'string', nullable: true } } },
      thinkingConfig: { thinkingBudget: 1024, includeThoughts: true },
    });
  });

  it('providers: gemini refuses what it cannot take with a 400 naming it, and drops it with drop_params', () => {
    const body = { messages: [{ role: 'user', content: 'hi' }], logit_bias: { 1: 2 }, modalities: ['text'] };
    const err = refusal(() => map(body));
    expect(err.status).toBe(400);
    expect(err.toBody().error).toMatchObject({ param: 'logit_bias', code: 'unsupported_by_provider' });
    expect(err.message).toContain('logit_bias, modalities');
    expect(map(body, true)).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
  });

  it.each([
    [{ messages: [{ role: 'system', content: 'only a system prompt' }] }, 'messages'],
    [{ messages: [{ role: 'tool', tool_call_id: 'nope', content: 'x' }] }, 'messages[0].tool_call_id'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/picture' } }] }] }, 'messages[0].content[0]'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }] }] }, 'messages[0].content[0]'],
    [{ messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }] }, 'messages[0].tool_calls[0].function.arguments'],
    [{ messages: [{ role: 'function', content: 'x' }] }, 'messages[0].role'],
    [{ messages: [{ role: 'user', content: 'hi' }], n: 0 }, 'n'],
  ])('providers: gemini refuses %j before any call (param %s)', (body, param) => {
    expect(refusal(() => map(body)).toBody().error.param).toBe(param);
  });
});

describe('providers: gemini schema', () => {
  it('providers: gemini inlines $refs, turns const and nullable unions into its own terms, and drops keys it refuses', () => {
    expect(
      toGeminiSchema({
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          kind: { const: 'a' },
          item: { $ref: '#/$defs/Item' },
          maybe: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
          list: { type: 'array', items: { $ref: '#/$defs/Item' } },
        },
        $defs: { Item: { type: 'object', properties: { n: { type: 'number', exclusiveMinimum: 0 } } } },
      }),
    ).toEqual({
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['a'] },
        item: { type: 'object', properties: { n: { type: 'number' } } },
        maybe: { type: 'integer', nullable: true },
        list: { type: 'array', items: { type: 'object', properties: { n: { type: 'number' } } } },
      },
    });
  });

  it('providers: gemini cuts a $ref cycle instead of looping', () => {
    const out = toGeminiSchema({ $ref: '#/$defs/Node', $defs: { Node: { type: 'object', properties: { next: { $ref: '#/$defs/Node' } } } } });
    expect(JSON.stringify(out).length).toBeLessThan(10_000);
  });
});
