import { generateKeyPairSync } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import type { ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  startBedrockMock,
  startCohereMock,
  startGeminiMock,
  startInProcessStack,
  startMockProvider,
  type BedrockMock,
  type CohereMock,
  type GeminiMock,
  type InProcessStack,
  type MockProvider,
} from '../harness/index.js';
import { loadConformance } from '../conformance/openapi.js';
import { BEDROCK_ENV, CLAUDE as BEDROCK_CLAUDE, LONG_TERM, REGION, TEMPORARY } from '../providers/fixtures.js';
import { serviceAccountKey } from '../providers/google.js';
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

const MASTER_KEY = 'sk-every-provider-master';
/** The tool a Claude deployment is forced to call for JSON output (LiteLLM's name, libs/providers anthropic shapes). */
const JSON_TOOL = 'json_tool_call';
/** A 1x1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const GEMINI_KEY = 'AIzaSy-every-provider-0123456789';
const COHERE_KEY = 'co-every-provider-secret-0123';
const HOST_KEY = 'sk-or-every-provider-secret-0123';
const OPENAI_KEY = 'sk-openai-every-provider-secret-0123';
const PROJECT = 'switchyard-every';
const LOCATION = 'us-east5';
const CLIENT_EMAIL = 'gateway@switchyard-every.iam.gserviceaccount.com';

const weather = {
  type: 'function' as const,
  name: 'weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

/** The value at a path of a JSON body (undefined where any step is missing). */
function at(body: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined), body);
}

/** One provider's counting mock, as the table reads it. */
interface Counted {
  readonly calls: number;
  /** Tokens the provider billed over the calls since the last reset. */
  readonly billed: number;
  /** The paths the provider was called on, oldest first. */
  readonly paths: readonly string[];
  /** The bodies the provider was sent, oldest first. */
  readonly bodies: readonly unknown[];
  /** Requests the mock refused as the real provider would (none expected). */
  readonly refusals: readonly string[];
}

interface ProviderRow {
  provider: string;
  /** The deployment group the clients ask for. */
  model: string;
  /** Its model_info id: the limiter's key. */
  deployment: string;
  mock(): Counted;
  /** The output-token cap of a body the provider was sent, read where the provider takes it. */
  maxTokensOf(body: unknown): unknown;
  /** The provider's path of a call, plain and streamed. */
  path: RegExp;
  streamPath: RegExp;
  /** The provider answers with this text (and calls no tool). */
  reply(text: string): void;
  /** The provider calls this tool (null: the provider cannot call tools). */
  callTool: ((name: string, input: Record<string, unknown>) => void) | null;
  /** The provider answers `status` with its own error, echoing the credential it was sent. */
  failEchoing(status: number): void;
  /** The provider answers a request for JSON with this value, the way it does (Claude: the forced JSON tool, alone). */
  answerJson(value: Record<string, unknown>): void;
  /** The provider's stream dies after its first text. */
  cutStream(): void;
  /** What must never reach a client: the credentials the last call carried. */
  secrets(): string[];
}

describe('responses: every provider answers the Responses and Messages APIs through its chat, one call each', () => {
  let gemini: GeminiMock;
  let bedrock: BedrockMock;
  let cohere: CohereMock;
  let hosts: MockProvider;
  let stack: InProcessStack;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let redis: Redis;
  let privateKey: string;
  const spec = loadConformance();

  /** Every token Google's endpoint issued (the gateway's cached one included), and the key that signed them. */
  const vertexSecrets = (): string[] => [...gemini.issuedTokens, privateKey.replace(/-----[A-Z ]+-----|\s/g, '')];
  /** An OpenAI-shaped error body whose message carries the request's Authorization header back. */
  const echoingError = { error: { message: 'Rate limit reached for requests sent with {{header:authorization}}', type: 'requests', param: null, code: 'rate_limit_exceeded' } };
  const geminiCounted = (): Counted => ({ calls: gemini.calls, billed: gemini.billedTokens, paths: gemini.requests.map((r) => r.path), bodies: gemini.requests.map((r) => r.body), refusals: gemini.refusals });
  const rows: ProviderRow[] = [
    {
      provider: 'gemini',
      model: 'gemini-flash',
      deployment: 'every-gemini',
      maxTokensOf: (body) => at(body, 'generationConfig', 'maxOutputTokens'),
      mock: geminiCounted,
      path: /^\/v1beta\/models\/gemini-2\.5-flash:generateContent$/,
      streamPath: /^\/v1beta\/models\/gemini-2\.5-flash:streamGenerateContent$/,
      reply: (text) => gemini.behave('gemini-2.5-flash', { reply: text, toolCalls: [] }),
      callTool: (name, input) => gemini.behave('gemini-2.5-flash', { reply: 'Checking.', toolCalls: [{ name, args: input }] }),
      answerJson: (value) => gemini.behave('gemini-2.5-flash', { reply: JSON.stringify(value), toolCalls: [] }),
      failEchoing: (status) => gemini.behave('gemini-2.5-flash', { status, echoCredentials: true }),
      cutStream: () => gemini.behave('gemini-2.5-flash', { reply: 'a long answer that is cut', cutStream: true }),
      secrets: () => [GEMINI_KEY],
    },
    {
      provider: 'vertex_ai gemini',
      model: 'vertex-gemini',
      deployment: 'every-vertex-gemini',
      maxTokensOf: (body) => at(body, 'generationConfig', 'maxOutputTokens'),
      mock: geminiCounted,
      path: new RegExp(`^/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/gemini-2\\.5-pro:generateContent$`),
      streamPath: new RegExp(`^/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/gemini-2\\.5-pro:streamGenerateContent$`),
      reply: (text) => gemini.behave('gemini-2.5-pro', { reply: text, toolCalls: [] }),
      callTool: (name, input) => gemini.behave('gemini-2.5-pro', { reply: 'Checking.', toolCalls: [{ name, args: input }] }),
      answerJson: (value) => gemini.behave('gemini-2.5-pro', { reply: JSON.stringify(value), toolCalls: [] }),
      failEchoing: (status) => gemini.behave('gemini-2.5-pro', { status, echoCredentials: true }),
      cutStream: () => gemini.behave('gemini-2.5-pro', { reply: 'a long answer that is cut', cutStream: true }),
      secrets: vertexSecrets,
    },
    {
      provider: 'vertex_ai claude',
      model: 'vertex-claude',
      deployment: 'every-vertex-claude',
      maxTokensOf: (body) => at(body, 'max_tokens'),
      mock: geminiCounted,
      path: new RegExp(`^/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict$`),
      streamPath: new RegExp(`^/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict$`),
      reply: (text) => gemini.behave('claude-sonnet-4@20250514', { reply: text, toolCalls: [] }),
      callTool: (name, input) => gemini.behave('claude-sonnet-4@20250514', { reply: 'Checking.', toolCalls: [{ name, args: input }] }),
      answerJson: (value) => gemini.behave('claude-sonnet-4@20250514', { toolCalls: [{ name: JSON_TOOL, args: value }], toolOnly: true }),
      failEchoing: (status) => gemini.behave('claude-sonnet-4@20250514', { status, echoCredentials: true }),
      cutStream: () => gemini.behave('claude-sonnet-4@20250514', { reply: 'a long answer that is cut', cutStream: true }),
      secrets: vertexSecrets,
    },
    {
      provider: 'bedrock converse',
      model: 'bedrock-claude',
      deployment: 'every-bedrock',
      maxTokensOf: (body) => at(body, 'inferenceConfig', 'maxTokens'),
      mock: () => ({ calls: bedrock.calls, billed: bedrock.billedTokens, paths: bedrock.requests.map((r) => r.path), bodies: bedrock.requests.map((r) => r.body), refusals: bedrock.refusals }),
      path: new RegExp(`^/model/${BEDROCK_CLAUDE.replace(':', '%3A').replace(/\./g, '\\.')}/converse$`),
      streamPath: new RegExp(`^/model/${BEDROCK_CLAUDE.replace(':', '%3A').replace(/\./g, '\\.')}/converse-stream$`),
      reply: (text) => bedrock.behave(BEDROCK_CLAUDE, { reply: text, toolCall: null }),
      callTool: (name, input) => bedrock.behave(BEDROCK_CLAUDE, { reply: 'Checking.', toolCall: { name, input } }),
      answerJson: (value) => bedrock.behave(BEDROCK_CLAUDE, { toolCall: { name: JSON_TOOL, input: value }, toolOnly: true }),
      failEchoing: (status) => bedrock.behave(BEDROCK_CLAUDE, { status, echoAuthorization: true }),
      cutStream: () => bedrock.behave(BEDROCK_CLAUDE, { reply: 'a long answer that is cut', streamException: 'modelStreamErrorException' }),
      secrets: () => [
        TEMPORARY.secretAccessKey,
        TEMPORARY.sessionToken,
        ...bedrock.requests.map((request) => /Signature=([0-9a-f]{64})/.exec(String(request.headers.authorization))?.[1] ?? 'no signature sent'),
      ],
    },
    {
      provider: 'cohere',
      model: 'cohere-command',
      deployment: 'every-cohere',
      maxTokensOf: (body) => at(body, 'max_tokens'),
      mock: () => ({ calls: cohere.calls, billed: cohere.tokens, paths: cohere.requests.map((r) => r.path), bodies: cohere.requests.map((r) => r.body), refusals: cohere.refusals }),
      path: /^\/v2\/chat$/,
      streamPath: /^\/v2\/chat$/,
      reply: (text) => cohere.behave('command-a-03-2025', { reply: text, toolCall: null }),
      callTool: (name, input) => cohere.behave('command-a-03-2025', { toolCall: { name, arguments: input } }),
      answerJson: (value) => cohere.behave('command-a-03-2025', { reply: JSON.stringify(value), toolCall: null }),
      failEchoing: (status) => cohere.behave('command-a-03-2025', { status, echoCredentials: true }),
      cutStream: () => cohere.behave('command-a-03-2025', { reply: 'a long answer that is cut', cutStream: true }),
      secrets: () => [COHERE_KEY],
    },
    {
      provider: 'openrouter',
      model: 'openrouter-llama',
      deployment: 'every-openrouter',
      maxTokensOf: (body) => at(body, 'max_tokens'),
      mock: () => ({ calls: hosts.calls, billed: hosts.billedTokens, paths: hosts.requests.map((r) => r.path), bodies: hosts.requests.map((r) => r.body), refusals: [] }),
      path: /^\/v1\/chat\/completions$/,
      streamPath: /^\/v1\/chat\/completions$/,
      reply: (text) => hosts.behave('meta-llama/llama-3.3-70b-instruct', { reply: text, toolCall: null }),
      callTool: (name, input) => hosts.behave('meta-llama/llama-3.3-70b-instruct', { toolCall: { name, arguments: JSON.stringify(input) } }),
      answerJson: (value) => hosts.behave('meta-llama/llama-3.3-70b-instruct', { reply: JSON.stringify(value), toolCall: null }),
      failEchoing: (status) => hosts.behave('meta-llama/llama-3.3-70b-instruct', { status, errorBody: echoingError }),
      cutStream: () => hosts.behave('meta-llama/llama-3.3-70b-instruct', { reply: 'a long answer that is cut', streamChunks: 4, cutStreamAfter: 2, chunkDelayMs: 50 }),
      secrets: () => [HOST_KEY],
    },
    {
      provider: 'text-completion-openai',
      model: 'instruct',
      deployment: 'every-text-completion',
      maxTokensOf: (body) => at(body, 'max_tokens'),
      mock: () => ({ calls: hosts.calls, billed: hosts.billedTokens, paths: hosts.requests.map((r) => r.path), bodies: hosts.requests.map((r) => r.body), refusals: [] }),
      path: /^\/v1\/completions$/,
      streamPath: /^\/v1\/completions$/,
      reply: (text) => hosts.behave('gpt-3.5-turbo-instruct', { reply: text, toolCall: null }),
      // A completions model has no tools: the gateway refuses them before any call (tested below).
      callTool: null,
      answerJson: () => undefined,
      failEchoing: (status) => hosts.behave('gpt-3.5-turbo-instruct', { status, errorBody: echoingError }),
      cutStream: () => hosts.behave('gpt-3.5-turbo-instruct', { reply: 'a long answer that is cut', streamChunks: 4, cutStreamAfter: 2, chunkDelayMs: 50 }),
      secrets: () => [OPENAI_KEY],
    },
  ];

  /** Calls over every mock: a request that reached more than its own provider shows here. */
  const allCalls = (): number => gemini.calls + bedrock.calls + cohere.calls + hosts.calls;

  function config(): string {
    const vertex = `api_base: ${gemini.url}
      vertex_credentials: os.environ/VERTEX_SA
      vertex_location: ${LOCATION}
      tpm: 1000000`;
    return `model_list:
  - model_name: gemini-flash
    litellm_params:
      model: gemini/gemini-2.5-flash
      api_base: ${gemini.url}
      api_key: os.environ/GEMINI_API_KEY
      tpm: 1000000
    model_info: { id: every-gemini }
  - model_name: vertex-gemini
    litellm_params:
      model: vertex_ai/gemini-2.5-pro
      ${vertex}
    model_info: { id: every-vertex-gemini }
  - model_name: vertex-claude
    litellm_params:
      model: vertex_ai/claude-sonnet-4@20250514
      ${vertex}
    model_info: { id: every-vertex-claude }
  - model_name: bedrock-claude
    litellm_params:
      model: bedrock/converse/${BEDROCK_CLAUDE}
      aws_access_key_id: os.environ/BEDROCK_KEY_ID
      aws_secret_access_key: os.environ/BEDROCK_SECRET
      aws_session_token: os.environ/BEDROCK_TOKEN
      aws_region_name: ${REGION}
      aws_bedrock_runtime_endpoint: ${bedrock.url}
      tpm: 1000000
    model_info: { id: every-bedrock }
  - model_name: cohere-command
    litellm_params:
      model: cohere/command-a-03-2025
      api_base: ${cohere.url}
      api_key: os.environ/CO_API_KEY
      tpm: 1000000
    model_info: { id: every-cohere }
  - model_name: openrouter-llama
    litellm_params:
      model: openrouter/meta-llama/llama-3.3-70b-instruct
      api_base: ${hosts.url}
      api_key: os.environ/OPENROUTER_API_KEY
      tpm: 1000000
    model_info: { id: every-openrouter }
  - model_name: instruct
    litellm_params:
      model: text-completion-openai/gpt-3.5-turbo-instruct
      api_base: ${hosts.url}
      api_key: os.environ/OPENAI_API_KEY
      tpm: 1000000
    model_info: { id: every-text-completion }
# A deployment that fails cools down (LiteLLM's default); the error tests below fail each one on purpose.
router_settings:
  disable_cooldowns: true
general_settings:
  master_key: ${MASTER_KEY}
`;
  }

  beforeAll(async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    gemini = await startGeminiMock({
      apiKey: GEMINI_KEY,
      serviceAccount: { clientEmail: CLIENT_EMAIL, publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      project: PROJECT,
      location: LOCATION,
    });
    bedrock = await startBedrockMock({ region: REGION, credentials: [TEMPORARY, LONG_TERM] });
    cohere = await startCohereMock({ apiKey: COHERE_KEY });
    hosts = await startMockProvider();
    const env = {
      ...BEDROCK_ENV,
      GEMINI_API_KEY: GEMINI_KEY,
      VERTEX_SA: serviceAccountKey({ privateKey, tokenUri: gemini.tokenUri, project: PROJECT, clientEmail: CLIENT_EMAIL }),
      CO_API_KEY: COHERE_KEY,
      OPENROUTER_API_KEY: HOST_KEY,
      OPENAI_API_KEY: OPENAI_KEY,
    };
    stack = await startInProcessStack({ servers: inject('servers'), config: config(), env });
    // maxRetries 0: a retry would be a second provider call the counters must not hide.
    openai = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: MASTER_KEY, baseURL: stack.ingressUrls[0], maxRetries: 0 });
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([gemini?.close(), bedrock?.close(), cohere?.close(), hosts?.close()]);
    redis?.disconnect();
  });
  beforeEach(async () => {
    gemini.reset();
    bedrock.reset();
    cohere.reset();
    hosts.reset();
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
