import { generateKeyPairSync } from 'node:crypto';
import {
  startBedrockMock,
  startCohereMock,
  startGeminiMock,
  startMockProvider,
  type BedrockMock,
  type CohereMock,
  type GeminiMock,
  type MockProvider,
} from '../harness/index.js';
import { BEDROCK_ENV, CLAUDE as BEDROCK_CLAUDE, LONG_TERM, REGION, TEMPORARY } from '../providers/fixtures.js';
import { serviceAccountKey } from '../providers/google.js';

/**
 * One deployment of every provider that serves chat through a protocol of
 * its own or an OpenAI-compatible one, each on its native mock, described
 * as rows a test can run the same checks over (every-provider.test.ts).
 */

export const MASTER_KEY = 'sk-every-provider-master';
/** The tool a Claude deployment is forced to call for JSON output (LiteLLM's name, libs/providers anthropic shapes). */
const JSON_TOOL = 'json_tool_call';
/** A 1x1 PNG. */
export const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const GEMINI_KEY = 'AIzaSy-every-provider-0123456789';
const COHERE_KEY = 'co-every-provider-secret-0123';
const HOST_KEY = 'sk-or-every-provider-secret-0123';
const OPENAI_KEY = 'sk-openai-every-provider-secret-0123';
const PROJECT = 'switchyard-every';
const LOCATION = 'us-east5';
const CLIENT_EMAIL = 'gateway@switchyard-every.iam.gserviceaccount.com';

export const weather = {
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
export interface Counted {
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

export interface ProviderRow {
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

export interface EveryProvider {
  /** The table: usable when the test file is collected, its mocks once `start` has run. */
  readonly rows: readonly ProviderRow[];
  readonly bedrock: BedrockMock;
  start(): Promise<void>;
  /** The gateway config: every row's deployment, tpm-metered, on its mock. */
  config(): string;
  /** The secrets the config names. */
  env(): Record<string, string>;
  /** Calls over every mock: a request that reached more than its own provider shows here. */
  allCalls(): number;
  reset(): void;
  /** Every secret the gateway holds or was issued. */
  secrets(): string[];
  close(): Promise<void>;
}

export function everyProvider(): EveryProvider {
  let gemini: GeminiMock;
  let bedrock: BedrockMock;
  let cohere: CohereMock;
  let hosts: MockProvider;
  let privateKey: string;

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
      // A completions model has no tools: the gateway refuses them before any call (the test checks it).
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
# A deployment that fails cools down (LiteLLM's default); the error tests fail each one on purpose.
router_settings:
  disable_cooldowns: true
general_settings:
  master_key: ${MASTER_KEY}
`;
  }

  return {
    rows,
    get bedrock() {
      return bedrock;
    },
    async start() {
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
    },
    config,
    env: () => ({
      ...BEDROCK_ENV,
      GEMINI_API_KEY: GEMINI_KEY,
      VERTEX_SA: serviceAccountKey({ privateKey, tokenUri: gemini.tokenUri, project: PROJECT, clientEmail: CLIENT_EMAIL }),
      CO_API_KEY: COHERE_KEY,
      OPENROUTER_API_KEY: HOST_KEY,
      OPENAI_API_KEY: OPENAI_KEY,
    }),
    allCalls,
    reset() {
      gemini.reset();
      bedrock.reset();
      cohere.reset();
      hosts.reset();
    },
    secrets: () => [GEMINI_KEY, COHERE_KEY, HOST_KEY, OPENAI_KEY, TEMPORARY.secretAccessKey, TEMPORARY.sessionToken, ...vertexSecrets()],
    async close() {
      await Promise.all([gemini?.close(), bedrock?.close(), cohere?.close(), hosts?.close()]);
    },
  };
}
