import { describe, expect, it } from 'vitest';
import { GatewayError } from '@switchyard/contracts';
import { buildProviderRequest } from '../request.js';
import { ProviderStreamError } from '../types.js';
import { deployment, TEST_KEY } from '../../test/fixtures.js';
import { chatRequestToCompletion, completionToChatResponse, CompletionToChatStream, promptOfMessages } from './chat-via-completions.js';

const instruct = deployment({ id: 'instruct/1', provider: 'text-completion-openai', providerModel: 'gpt-3.5-turbo-instruct', defaultParams: { max_tokens: 64 } });

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

describe('providers: text-completion-openai serves chat through /v1/completions', () => {
  it('providers: text-completion a streamed chat request is a completions call with the deployment model, defaults and usage asked', () => {
    const req = buildProviderRequest(instruct, 'chat.completions', { model: 'instruct', messages: [{ role: 'user', content: 'Say hi' }], stream: true, temperature: 0 }, { stream: true, wantUsage: false });
    expect(req.url).toBe('https://api.openai.com/v1/completions');
    expect(req.headers.authorization).toBe(`Bearer ${TEST_KEY}`);
    expect(JSON.parse(req.body)).toEqual({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'Say hi',
      temperature: 0,
      stream: true,
      max_tokens: 64,
      stream_options: { include_usage: true },
    });
  });

  it('providers: text-completion /v1/completions goes out as sent; embeddings are 400s; messages come through its chat', () => {
    const text = '{"model":"instruct","prompt":"x","max_tokens":5}';
    const req = buildProviderRequest(instruct, 'completions', JSON.parse(text), { stream: false, wantUsage: false, bodyText: text });
    expect(req.body).toBe('{"model":"gpt-3.5-turbo-instruct","prompt":"x","max_tokens":5}');
    expect(req.translation).toBeUndefined();
    expect(refusal(() => buildProviderRequest(instruct, 'embeddings', { model: 'instruct', input: 'x' }, { stream: false, wantUsage: false })).status).toBe(400);
    // Messages -> chat -> completions (via-chat.ts composes with the provider's own chat).
    const messages = buildProviderRequest(instruct, 'messages', { model: 'instruct', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, { stream: false, wantUsage: false });
    expect(messages.url).toBe('https://api.openai.com/v1/completions');
  });

  it('providers: text-completion joins the messages into the one prompt, text parts included', () => {
    expect(promptOfMessages([{ role: 'user', content: 'only' }])).toBe('only');
    expect(
      promptOfMessages([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Say ' }, { type: 'text', text: 'hi' }] },
        { role: 'assistant', content: null },
      ]),
    ).toBe('Be brief.\n\nSay hi');
  });

  it('providers: text-completion maps the parameters completions takes; the larger token limit wins', () => {
    expect(chatRequestToCompletion({ model: 'm', messages: [{ role: 'user', content: 'x' }], n: 2, stop: ['\n'], seed: 1, user: 'u', max_tokens: 5, max_completion_tokens: 9, parallel_tool_calls: false })).toEqual({
      model: 'm',
      prompt: 'x',
      n: 2,
      stop: ['\n'],
      seed: 1,
      user: 'u',
      max_tokens: 9,
    });
  });

  it.each([
    ['tools', { tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools'],
    ['logprobs', { logprobs: true }, 'logprobs'],
    ['json mode', { response_format: { type: 'json_object' } }, 'response_format'],
    ['an image', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] }, 'messages[0].content[0]'],
    ['a tool result', { messages: [{ role: 'tool', tool_call_id: 'c', content: 'x' }] }, 'messages[0]'],
  ])('providers: text-completion refuses %s with a 400 before any call', (_name, extra, param) => {
    const error = refusal(() => chatRequestToCompletion({ model: 'm', messages: [{ role: 'user', content: 'x' }], ...extra }));
    expect([error.status, error.param]).toEqual([400, param]);
  });

  it('providers: text-completion a text_completion answer is a chat.completion', () => {
    const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
    const { body, usage: settled } = completionToChatResponse({
      id: 'cmpl-1',
      object: 'text_completion',
      created: 1,
      model: 'gpt-3.5-turbo-instruct',
      choices: [{ text: 'Hi!', index: 0, logprobs: null, finish_reason: 'length' }],
      usage,
    });
    expect(body).toEqual({
      id: 'cmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-3.5-turbo-instruct',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi!', refusal: null }, logprobs: null, finish_reason: 'length' }],
      usage,
    });
    expect(settled).toEqual(usage);
  });

  it('providers: text-completion stream chunks become chat chunks; the usage chunk stays usage-only; [DONE] ends it', () => {
    const stream = new CompletionToChatStream('instruct/1');
    const chunk = (text: string, finish: string | null) =>
      ({ event: undefined, data: JSON.stringify({ id: 'cmpl-2', object: 'text_completion', created: 1, model: 'm', choices: [{ text, index: 0, logprobs: null, finish_reason: finish }], usage: null }) });
    const out = [
      ...stream.push(chunk('Hel', null)),
      ...stream.push(chunk('lo', null)),
      ...stream.push(chunk('', 'stop')),
      ...stream.push({ event: undefined, data: JSON.stringify({ id: 'cmpl-2', object: 'text_completion', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }) }),
      ...stream.push({ event: undefined, data: '[DONE]' }),
      ...stream.end(),
    ];
    const parsed = out.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(parsed.map((c) => c.object)).toEqual(Array(4).fill('chat.completion.chunk'));
    expect(parsed.slice(0, 3).map((c) => c.choices[0].delta)).toEqual([{ role: 'assistant', content: 'Hel' }, { content: 'lo' }, {}]);
    expect(parsed[2].choices[0].finish_reason).toBe('stop');
    expect(parsed.slice(0, 3).every((c) => !('usage' in c))).toBe(true);
    expect(out[3]).toMatchObject({ usage: { total_tokens: 3 }, usageOnly: true });
    expect(out.at(-1)!.data).toBe('[DONE]');
  });

  it('providers: text-completion a stream that closes before [DONE] is a stream error', () => {
    const stream = new CompletionToChatStream('instruct/1');
    stream.push({ event: undefined, data: JSON.stringify({ id: 'c', choices: [{ text: 'Hel', index: 0, finish_reason: null }] }) });
    expect(() => stream.end()).toThrow(ProviderStreamError);
    expect(() => new CompletionToChatStream('x').push({ event: undefined, data: '{"error": {"message": "boom"}}' })).toThrow(ProviderStreamError);
  });
});
