import { Writable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import type { ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@switchyard/telemetry';
import { startInProcessStack, type InProcessStack } from '../harness/index.js';
import { loadConformance } from '../conformance/openapi.js';
import { CLAUDE as BEDROCK_CLAUDE } from '../providers/fixtures.js';
import { everyProvider, MASTER_KEY, PNG, weather, type ProviderRow } from './every-provider-fixture.js';
import { clearCounters, failureOf, settledTokens } from './fixtures.js';

/**
 * Issue 16: the OpenAI SDK's Responses API and the Anthropic SDK's Messages
 * API against a deployment of every provider, on one stack. None of these
 * providers serves either endpoint natively: each goes through the provider's
 * chat (via-chat.ts), then through the provider's own protocol, checked by
 * its native mock. Each request is exactly one provider call (over all the
 * mocks, so none is called behind the test's back), and the limiter settles
 * to what the provider billed.
 */

describe('responses: every provider answers the Responses and Messages APIs through its chat, one call each', () => {
  const providers = everyProvider();
  const { rows, allCalls } = providers;
  let stack: InProcessStack;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let redis: Redis;
  const spec = loadConformance();
  const logLines: string[] = [];
  const logs = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });

  beforeAll(async () => {
    await providers.start();
    stack = await startInProcessStack({ servers: inject('servers'), config: providers.config(), env: providers.env(), logger: createLogger({ service: 'test', level: 'debug', destination: logs }) });
    // maxRetries 0: a retry would be a second provider call the counters must not hide.
    openai = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: MASTER_KEY, baseURL: stack.ingressUrls[0], maxRetries: 0 });
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    await stack?.stop();
    await providers.close();
    redis?.disconnect();
    // Over the whole file (the echoed credentials of the error tests included), no secret in any log line.
    const logged = logLines.join('');
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of providers.secrets()) expect(logged.includes(secret)).toBe(false);
  });
  beforeEach(async () => {
    providers.reset();
    await clearCounters(redis, stack.names.prefix);
  });
  // Every request the gateway sent passed the provider's checks (Bedrock's include its SigV4 signature).
  afterEach(() => {
    for (const row of rows) expect(row.mock().refusals, row.provider).toEqual([]);
  });

  /** The request was one call, to the row's provider on `path`, and the limiter settled to its bill. */
  async function oneCallSettled(row: ProviderRow, path: RegExp): Promise<void> {
    const mock = row.mock();
    expect(mock.calls).toBe(1);
    expect(allCalls()).toBe(1);
    expect(mock.paths).toHaveLength(1);
    expect(mock.paths[0]).toMatch(path);
    expect(mock.billed).toBeGreaterThan(0);
    expect(await settledTokens(redis, stack.names.prefix, row.deployment)).toBe(mock.billed);
  }

  describe.each(rows)('responses: $provider', (row) => {
    it(`responses: ${row.provider} a plain create is one call, a valid Response with the text and the provider's usage, settled`, async () => {
      row.reply(`Hello from ${row.provider}`);
      const response = await openai.responses.create({ model: row.model, instructions: 'Be brief.', input: 'Say hello', max_output_tokens: 200 });
      expect(spec.problems('Response', response)).toEqual([]);
      expect(response.status).toBe('completed');
      expect(response.output_text).toBe(`Hello from ${row.provider}`);
      expect(response.usage!.total_tokens).toBe(row.mock().billed);
      expect(response.usage!.input_tokens + response.usage!.output_tokens).toBe(response.usage!.total_tokens);
      // The instructions and the cap reached the provider, in its own terms.
      const sent = row.mock().bodies[0];
      expect(JSON.stringify(sent)).toContain('Be brief.');
      expect(row.maxTokensOf(sent)).toBe(200);
      await oneCallSettled(row, row.path);
    });

    it(`responses: ${row.provider} a streamed create with a function tool is one call; the SDK assembles the function_call and response.completed carries the usage`, async () => {
      if (row.callTool === null) row.reply('No tools here, only words.');
      else row.callTool('weather', { city: 'Lima' });
      const stream = openai.responses.stream({
        model: row.model,
        input: 'Weather in Lima?',
        ...(row.callTool === null ? {} : { tools: [weather] }),
      });
      const events: ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const final = await stream.finalResponse();
      for (const event of events) expect(spec.problems('ResponseStreamEvent', event), JSON.stringify(event).slice(0, 300)).toEqual([]);
      const types = events.map((event) => event.type);
      expect(types[0]).toBe('response.created');
      expect(types.at(-1)).toBe('response.completed');
      expect(types).toContain('response.output_item.added');
      expect(types).toContain('response.output_item.done');
      // Sequence numbers count up from 0 without a gap, as OpenAI's do.
      expect(events.map((event) => event.sequence_number)).toEqual(events.map((_event, i) => i));
      if (row.callTool === null) {
        expect(types).toContain('response.output_text.delta');
        expect(types).toContain('response.output_text.done');
        // The SDK's streamed final response is built from the events and has no output_text: read the message.
        const message = final.output.find((item) => item.type === 'message');
        expect(message?.content.map((part) => (part.type === 'output_text' ? part.text : '')).join('')).toBe('No tools here, only words.');
      } else {
        expect(types).toContain('response.function_call_arguments.delta');
        expect(types).toContain('response.function_call_arguments.done');
        const call = final.output.find((item) => item.type === 'function_call');
        expect(call).toMatchObject({ type: 'function_call', name: 'weather', status: 'completed', call_id: expect.any(String) });
        expect(JSON.parse((call as { arguments: string }).arguments)).toEqual({ city: 'Lima' });
        const done = events.find((event) => event.type === 'response.function_call_arguments.done');
        expect(done).toMatchObject({ arguments: (call as { arguments: string }).arguments });
      }
      const completed = events.at(-1) as Extract<ResponseStreamEvent, { type: 'response.completed' }>;
      expect(completed.response.usage!.total_tokens).toBe(row.mock().billed);
      expect(final.usage).toEqual(completed.response.usage);
      await oneCallSettled(row, row.streamPath);
    });

    it(`responses: ${row.provider} an Anthropic messages.create is one call, an Anthropic message with the provider's usage, settled`, async () => {
      row.reply(`Hi Claude client, ${row.provider} here`);
      const message = await anthropic.messages.create({ model: row.model, max_tokens: 200, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello' }] });
      expect(message).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'end_turn', content: [{ type: 'text', text: `Hi Claude client, ${row.provider} here` }] });
      // Anthropic's ids have no fixed format ("may change over time"): the chat answer's id is carried over, as LiteLLM does.
      expect(message.id).toEqual(expect.any(String));
      expect(message.id).not.toBe('');
      expect(message.usage.input_tokens + message.usage.output_tokens).toBe(row.mock().billed);
      const sent = row.mock().bodies[0];
      expect(JSON.stringify(sent)).toContain('Be brief.');
      expect(row.maxTokensOf(sent)).toBe(200);
      await oneCallSettled(row, row.path);
    });

    it(`responses: ${row.provider} an Anthropic messages stream is one call; the SDK assembles the message and its usage`, async () => {
      if (row.callTool === null) row.reply('Streaming words to Claude');
      else row.callTool('weather', { city: 'Oslo' });
      const stream = anthropic.messages.stream({
        model: row.model,
        max_tokens: 200,
        messages: [{ role: 'user', content: 'Weather in Oslo?' }],
        ...(row.callTool === null ? {} : { tools: [{ name: 'weather', description: weather.description, input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }] }),
      });
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      const final = await stream.finalMessage();
      expect(types[0]).toBe('message_start');
      expect(types.at(-1)).toBe('message_stop');
      expect(types).toContain('content_block_start');
      expect(types).toContain('content_block_delta');
      expect(types).toContain('content_block_stop');
      expect(types).toContain('message_delta');
      if (row.callTool === null) {
        expect(final).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text', text: 'Streaming words to Claude' }] });
      } else {
        expect(final.stop_reason).toBe('tool_use');
        expect(final.content.find((block) => block.type === 'tool_use')).toMatchObject({ name: 'weather', input: { city: 'Oslo' }, id: expect.any(String) });
      }
      expect(final.usage.input_tokens + final.usage.output_tokens).toBe(row.mock().billed);
      await oneCallSettled(row, row.streamPath);
    });
  });

  describe.each(rows.filter((row) => row.callTool !== null))('responses: $provider tool round trips', (row) => {
    it(`responses: ${row.provider} a function_call_output goes back as the provider's tool result: one call a turn, a conversation the provider accepts`, async () => {
      row.callTool!('weather', { city: 'Quito' });
      const input: ResponseInputItem[] = [{ role: 'user', content: 'Weather in Quito?' }];
      const first = await openai.responses.create({ model: row.model, input, tools: [weather] });
      const call = first.output.find((item) => item.type === 'function_call');
      expect(call).toMatchObject({ name: 'weather', call_id: expect.any(String) });
      row.reply('Quito is mild today.');
      const second = await openai.responses.create({
        model: row.model,
        input: [...input, ...(first.output as ResponseInputItem[]), { type: 'function_call_output', call_id: call!.call_id, output: '{"temperature_c":14}' }],
        tools: [weather],
      });
      expect(second.output_text).toBe('Quito is mild today.');
      // The second call carried the tool result back (each mock refuses a result that answers no call of the turn before).
      expect(JSON.stringify(row.mock().bodies[1])).toContain('temperature_c');
      expect(row.mock().calls).toBe(2);
      expect(allCalls()).toBe(2);
    });

    it(`responses: ${row.provider} an Anthropic tool_result goes back as the provider's tool result: one call a turn, a conversation the provider accepts`, async () => {
      row.callTool!('weather', { city: 'Quito' });
      const tools: Anthropic.Messages.Tool[] = [{ name: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
      const question: Anthropic.Messages.MessageParam = { role: 'user', content: 'Weather in Quito?' };
      const first = await anthropic.messages.create({ model: row.model, max_tokens: 200, messages: [question], tools });
      expect(first.stop_reason).toBe('tool_use');
      const use = first.content.find((block) => block.type === 'tool_use');
      expect(use).toMatchObject({ name: 'weather', input: { city: 'Quito' } });
      row.reply('Quito is mild today.');
      const second = await anthropic.messages.create({
        model: row.model,
        max_tokens: 200,
        tools,
        messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use!.id, content: '{"temperature_c":14}' }] }],
      });
      expect(second.content).toEqual([{ type: 'text', text: 'Quito is mild today.' }]);
      expect(JSON.stringify(row.mock().bodies[1])).toContain('temperature_c');
      expect(row.mock().calls).toBe(2);
      expect(allCalls()).toBe(2);
    });
  });

  describe.each(rows)('responses: $provider images and structured output', (row) => {
    const image = `data:image/png;base64,${PNG}`;

    it(`responses: ${row.provider} an input_image reaches the provider as its own image part, one call (text-completion: a 400 before any call)`, async () => {
      row.reply('A tiny picture.');
      const create = () => openai.responses.create({ model: row.model, input: [{ role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: image, detail: 'auto' }] }] });
      if (row.callTool === null) {
        // Named as the client sent it, not as the chat message it was translated to.
        expect(await failureOf(create)).toMatchObject({ status: 400, error: expect.objectContaining({ code: 'unsupported_by_provider', param: 'input[0].content[1]' }) });
        expect(allCalls()).toBe(0);
        return;
      }
      expect((await create()).output_text).toBe('A tiny picture.');
      expect(JSON.stringify(row.mock().bodies[0])).toContain(PNG);
      await oneCallSettled(row, row.path);
    });

    it(`responses: ${row.provider} an Anthropic image block reaches the provider as its own image part, one call (text-completion: a 400 before any call)`, async () => {
      row.reply('A tiny picture.');
      const create = () =>
        anthropic.messages.create({ model: row.model, max_tokens: 50, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] }] });
      if (row.callTool === null) {
        expect(await failureOf(create)).toMatchObject({ status: 400, error: { type: 'error', error: { type: 'invalid_request_error' } } });
        expect(allCalls()).toBe(0);
        return;
      }
      expect((await create()).content).toEqual([{ type: 'text', text: 'A tiny picture.' }]);
      expect(JSON.stringify(row.mock().bodies[0])).toContain(PNG);
      await oneCallSettled(row, row.path);
    });

    const format = { type: 'json_schema' as const, name: 'city', strict: true, schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } };

    it(`responses: ${row.provider} a json_schema text format is answered with the JSON as output_text, plain and streamed, one call each (text-completion: a 400)`, async () => {
      if (row.callTool === null) {
        expect(await failureOf(() => openai.responses.create({ model: row.model, input: 'A city as JSON', text: { format } }))).toMatchObject({ status: 400, error: expect.objectContaining({ param: 'text.format' }) });
        expect(allCalls()).toBe(0);
        return;
      }
      row.answerJson({ city: 'Lima' });
      const plain = await openai.responses.create({ model: row.model, input: 'A city as JSON', text: { format } });
      expect(JSON.parse(plain.output_text)).toEqual({ city: 'Lima' });
      // The forced tool a Claude provider answers through is the gateway's, not the client's: no function_call.
      expect(plain.output.map((item) => item.type)).toEqual(['message']);
      await oneCallSettled(row, row.path);

      const stream = await openai.responses.create({ model: row.model, input: 'A city as JSON', text: { format }, stream: true });
      const events: ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const text = events.flatMap((event) => (event.type === 'response.output_text.delta' ? [event.delta] : [])).join('');
      expect(JSON.parse(text)).toEqual({ city: 'Lima' });
      expect(events.some((event) => event.type.startsWith('response.function_call'))).toBe(false);
      expect(events.at(-1)!.type).toBe('response.completed');
      expect(row.mock().calls).toBe(2);
      expect(allCalls()).toBe(2);
    });
  });

  // Bedrock reports Claude's prompt cache: reads and writes are input tokens billed apart, and each protocol names them its own way.
  it('responses: bedrock cache reads and writes are Responses\' cached_tokens and Anthropic\'s cache fields, plain and streamed, the totals still the bill', async () => {
    const { bedrock } = providers;
    bedrock.behave(BEDROCK_CLAUDE, { reply: 'Cached answer', cacheReadTokens: 30, cacheWriteTokens: 2 });
    const response = await openai.responses.create({ model: 'bedrock-claude', input: 'Say something cached' });
    expect(response.usage!.input_tokens_details.cached_tokens).toBe(30);
    expect(response.usage!.total_tokens).toBe(bedrock.billedTokens);

    const billedBefore = bedrock.billedTokens;
    const message = await anthropic.messages.create({ model: 'bedrock-claude', max_tokens: 50, messages: [{ role: 'user', content: 'Say something cached' }] });
    const sent = bedrock.requests.at(-1)!;
    expect(sent.body).toMatchObject({ messages: [{ role: 'user', content: [{ text: 'Say something cached' }] }] });
    expect(message.usage).toMatchObject({ cache_read_input_tokens: 30, cache_creation_input_tokens: 2 });
    const { input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens } = message.usage;
    expect(input_tokens + output_tokens + cache_read_input_tokens! + cache_creation_input_tokens!).toBe(bedrock.billedTokens - billedBefore);

    // The same prompt and reply streamed: the same four counts.
    const streamed = await anthropic.messages.stream({ model: 'bedrock-claude', max_tokens: 50, messages: [{ role: 'user', content: 'Say something cached' }] }).finalMessage();
    expect(streamed.usage).toMatchObject({ input_tokens, output_tokens, cache_read_input_tokens: 30, cache_creation_input_tokens: 2 });
    expect(bedrock.calls).toBe(3);
    expect(allCalls()).toBe(3);
  });

  /** What a client could read of a failure: its message, its body and its headers. */
  const seen = (error: unknown): string => {
    const failure = error as { message: string; error?: unknown; headers?: Headers };
    return JSON.stringify({ message: failure.message, body: failure.error, headers: failure.headers ? [...failure.headers] : [] });
  };

  describe.each(rows)('responses: $provider when it fails', (row) => {
    it(`responses: ${row.provider} a 429 echoing its credential is one call and an OpenAI 429 on /v1/responses, the credential redacted`, async () => {
      row.failEchoing(429);
      const failure = await failureOf(() => openai.responses.create({ model: row.model, input: 'hi' }));
      expect(failure).toBeInstanceOf(OpenAI.RateLimitError);
      expect(failure.message).toContain('[redacted]');
      for (const secret of row.secrets()) expect(seen(failure)).not.toContain(secret);
      expect(row.mock().calls).toBe(1);
      expect(allCalls()).toBe(1);
    });

    it(`responses: ${row.provider} a 429 echoing its credential is one call and Anthropic's rate_limit_error on /v1/messages, the credential redacted`, async () => {
      row.failEchoing(429);
      const failure = await failureOf(() => anthropic.messages.create({ model: row.model, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }));
      expect(failure).toBeInstanceOf(Anthropic.RateLimitError);
      expect(failure.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringContaining('[redacted]') } });
      for (const secret of row.secrets()) expect(seen(failure)).not.toContain(secret);
      expect(row.mock().calls).toBe(1);
      expect(allCalls()).toBe(1);
    });

    // A cut the gateway sees before it relayed anything is an HTTP error (502); one after is an error event in the stream.
    it(`responses: ${row.provider} a stream cut mid-way is one call and a Responses error (a 502, or an error event last), never response.completed`, async () => {
      row.cutStream();
      const events: ResponseStreamEvent[] = [];
      const failure = await openai.responses
        .create({ model: row.model, input: 'Tell me a long story', stream: true })
        .then(async (stream) => {
          for await (const event of stream) events.push(event);
          return null;
        })
        .catch((error: unknown) => error);
      if (failure !== null) {
        expect(failure).toMatchObject({ status: 502 });
        expect(events).toEqual([]);
      } else {
        expect(events[0]!.type).toBe('response.created');
        const last = events.at(-1) as unknown as Record<string, unknown>;
        expect(last.type).toBe('error');
        expect(spec.problems('ResponseErrorEvent', last)).toEqual([]);
        // Numbered after the events before it, as every event of the stream is.
        expect(last.sequence_number).toBe(events.length - 1);
        expect(events.some((event) => event.type === 'response.completed')).toBe(false);
      }
      expect(row.mock().calls).toBe(1);
      expect(allCalls()).toBe(1);
    });

    it(`responses: ${row.provider} a stream cut mid-way is one call and an error the Anthropic SDK raises, never message_stop`, async () => {
      row.cutStream();
      const types: string[] = [];
      const failure = await failureOf(async () => {
        const stream = anthropic.messages.stream({ model: row.model, max_tokens: 200, messages: [{ role: 'user', content: 'Tell me a long story' }] });
        for await (const event of stream) types.push(event.type);
      });
      expect(failure).toBeInstanceOf(Anthropic.APIError);
      if (types.length === 0) expect(failure).toMatchObject({ status: 502, error: { type: 'error', error: { type: 'api_error' } } });
      else expect(types[0]).toBe('message_start');
      expect(types).not.toContain('message_stop');
      expect(row.mock().calls).toBe(1);
      expect(allCalls()).toBe(1);
    });
  });

  it('responses: text-completion-openai a function tool is a 400 naming tools, before any call, on both APIs', async () => {
    const responses = await failureOf(() => openai.responses.create({ model: 'instruct', input: 'Weather?', tools: [weather] }));
    expect(responses).toMatchObject({ status: 400, error: expect.objectContaining({ param: 'tools' }) });
    const messages = await failureOf(() =>
      anthropic.messages.create({ model: 'instruct', max_tokens: 50, messages: [{ role: 'user', content: 'Weather?' }], tools: [{ name: 'weather', input_schema: { type: 'object' } }] }),
    );
    expect(messages).toMatchObject({ status: 400, error: expect.objectContaining({ type: 'error', error: expect.objectContaining({ type: 'invalid_request_error' }) }) });
    expect(allCalls()).toBe(0);
  });
});
