import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@switchyard/telemetry';
import { eventually, startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';

/**
 * The OpenAI-compatible hosts LiteLLM users configure, through the whole
 * stack with the official OpenAI SDK. Each deployment names only
 * `provider/model`, as a LiteLLM file does: its key and endpoint come from the
 * provider's standard variables (a later alias where LiteLLM reads several),
 * here pointed at the counting OpenAI-compatible mock. Default base URLs are
 * unit-tested in libs/providers/src/providers/hosts.test.ts.
 */

const MASTER_KEY = 'sk-hosts-test-master';

interface Host {
  provider: string;
  model: string;
  /** The model the host receives. */
  wireModel: string;
  keyVar: string;
  baseVar: string;
}

const HOSTS: Host[] = [
  { provider: 'openrouter', model: 'meta-llama/llama-3.3-70b-instruct', wireModel: 'meta-llama/llama-3.3-70b-instruct', keyVar: 'OR_API_KEY', baseVar: 'OPENROUTER_API_BASE' },
  { provider: 'fireworks_ai', model: 'llama-v3p1-8b-instruct', wireModel: 'accounts/fireworks/models/llama-v3p1-8b-instruct', keyVar: 'FIREWORKS_AI_API_KEY', baseVar: 'FIREWORKS_API_BASE' },
  { provider: 'perplexity', model: 'sonar', wireModel: 'sonar', keyVar: 'PERPLEXITYAI_API_KEY', baseVar: 'PERPLEXITY_API_BASE' },
  { provider: 'xai', model: 'grok-3-mini', wireModel: 'grok-3-mini', keyVar: 'XAI_API_KEY', baseVar: 'XAI_API_BASE' },
  { provider: 'cerebras', model: 'llama3.3-70b', wireModel: 'llama3.3-70b', keyVar: 'CEREBRAS_API_KEY', baseVar: 'CEREBRAS_API_BASE' },
  { provider: 'deepinfra', model: 'meta-llama/Meta-Llama-3.1-8B-Instruct', wireModel: 'meta-llama/Meta-Llama-3.1-8B-Instruct', keyVar: 'DEEPINFRA_API_KEY', baseVar: 'DEEPINFRA_API_BASE' },
  { provider: 'nvidia_nim', model: 'meta/llama3-70b-instruct', wireModel: 'meta/llama3-70b-instruct', keyVar: 'NVIDIA_NIM_API_KEY', baseVar: 'NVIDIA_NIM_API_BASE' },
  { provider: 'lm_studio', model: 'qwen2.5-7b-instruct', wireModel: 'qwen2.5-7b-instruct', keyVar: 'LM_STUDIO_API_KEY', baseVar: 'LM_STUDIO_API_BASE' },
  { provider: 'text-completion-openai', model: 'gpt-3.5-turbo-instruct', wireModel: 'gpt-3.5-turbo-instruct', keyVar: 'OPENAI_API_KEY', baseVar: 'OPENAI_BASE_URL' },
];

const keyOf = (host: Host): string => `key-${host.provider}-secret-${host.keyVar.length}0123456789`;
const groupOf = (host: Host): string => `via-${host.provider}`;

function configYaml(): string {
  const entries = HOSTS.map((host) => `  - model_name: ${groupOf(host)}\n    litellm_params:\n      model: "${host.provider}/${host.model}"\n      tpm: 1000000\n`).join('');
  // The vLLM server LiteLLM's vllm/ would have run in-process, at an api_base of the operator's.
  return `model_list:\n${entries}  - model_name: via-vllm\n    litellm_params:\n      model: vllm/facebook/opt-125m\n      api_base: os.environ/VLLM_SERVER\ngeneral_settings:\n  master_key: ${MASTER_KEY}\n`;
}

describe('providers hosts: each OpenAI-compatible host, as LiteLLM configures it', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let client: OpenAI;
  let redis: Redis;
  const logLines: string[] = [];
  const logs = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });

  beforeAll(async () => {
    mock = await startMockProvider();
    const env: Record<string, string> = { VLLM_SERVER: mock.url };
    for (const host of HOSTS) {
      env[host.baseVar] = mock.url;
      // LM Studio runs keyless: the test proves no key is sent when none is configured.
      if (host.provider !== 'lm_studio') env[host.keyVar] = keyOf(host);
    }
    stack = await startInProcessStack({ servers: inject('servers'), config: configYaml(), env, logger: createLogger({ service: 'test', level: 'debug', destination: logs }) });
    client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0 });
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
    redis?.disconnect();
    // No host's key in any line logged over the whole file, errors included.
    const logged = logLines.join('');
    expect(logLines.length).toBeGreaterThan(0);
    for (const host of HOSTS) expect(logged.includes(keyOf(host)), host.provider).toBe(false);
  });
  beforeEach(() => mock.reset());

  it.each(HOSTS.filter((host) => host.provider !== 'text-completion-openai'))(
    'providers hosts: $provider chat is one call to /v1/chat/completions with its model and the key from $keyVar',
    async (host) => {
      const completion = await client.chat.completions.create({ model: groupOf(host), messages: [{ role: 'user', content: `hello ${host.provider}` }] });
      expect(completion.choices[0]!.message.content).toBe(`This is a mock response to: hello ${host.provider}`);
      expect(mock.calls).toBe(1);
      const sent = mock.requests[0]!;
      expect(sent.path).toBe('/v1/chat/completions');
      expect((sent.body as { model: string }).model).toBe(host.wireModel);
      expect(sent.headers.authorization).toBe(host.provider === 'lm_studio' ? undefined : `Bearer ${keyOf(host)}`);
      expect(JSON.stringify(completion)).not.toContain(keyOf(host));
    },
  );

  it('providers hosts: vllm/ calls the vLLM server at api_base, keyless', async () => {
    await client.chat.completions.create({ model: 'via-vllm', messages: [{ role: 'user', content: 'hi' }] });
    expect(mock.requests.map((r) => [r.path, r.model, r.headers.authorization])).toEqual([['/v1/chat/completions', 'facebook/opt-125m', undefined]]);
  });

  it('providers hosts: embeddings go to the hosts that serve them, and are a 400 before any call on those that do not', async () => {
    const served = await client.embeddings.create({ model: 'via-deepinfra', input: 'vector me', encoding_format: 'float' });
    expect(served.data[0]!.embedding.length).toBeGreaterThan(0);
    expect(mock.requests.map((r) => r.path)).toEqual(['/v1/embeddings']);
    mock.reset();
    for (const group of ['via-perplexity', 'via-cerebras', 'via-text-completion-openai']) {
      const error = await client.embeddings.create({ model: group, input: 'x' }).catch((err: unknown) => err);
      expect(error, group).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('unsupported_endpoint');
    }
    expect(mock.calls).toBe(0);
  });

  it('providers hosts: a host that echoes the key in its error gets its message through with the key redacted', async () => {
    mock.behave('grok-3-mini', { status: 400, errorBody: { error: { message: 'bad request sent with {{header:authorization}}', type: 'invalid_request_error', param: null, code: null } } });
    const error = (await client.chat.completions.create({ model: 'via-xai', messages: [{ role: 'user', content: 'hi' }] }).catch((err: unknown) => err)) as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(400);
    expect(error.message).toContain('bad request sent with Bearer [redacted]');
    expect(JSON.stringify(error.error)).not.toContain(keyOf(HOSTS.find((host) => host.provider === 'xai')!));
    expect(mock.calls).toBe(1);
  });
});

describe('providers hosts: text-completion-openai answers chat through /v1/completions', () => {
  const host = HOSTS.find((candidate) => candidate.provider === 'text-completion-openai')!;
  let mock: MockProvider;
  let stack: InProcessStack;
  let client: OpenAI;
  let redis: Redis;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({ servers: inject('servers'), config: configYaml(), env: { [host.baseVar]: mock.url, [host.keyVar]: keyOf(host), VLLM_SERVER: mock.url } });
    client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0 });
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
    redis?.disconnect();
  });
  beforeEach(() => mock.reset());

  it('providers hosts: text-completion a chat request is one completions call; the text comes back as the message', async () => {
    const completion = await client.chat.completions.create({
      model: groupOf(host),
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hi' },
      ],
      max_tokens: 20,
    });
    expect(mock.calls).toBe(1);
    const sent = mock.requests[0]!;
    expect(sent.path).toBe('/v1/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${keyOf(host)}`);
    expect(sent.body).toEqual({ model: 'gpt-3.5-turbo-instruct', prompt: 'Be brief.\n\nSay hi', max_tokens: 20 });
    expect(completion).toMatchObject({ object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'This is a mock response to: Be brief.\n\nSay hi' }, finish_reason: 'stop' }] });
    expect(completion.usage!.total_tokens).toBe(mock.billedTokens);
  });

  it('providers hosts: text-completion a streamed chat request streams chat chunks from a completions stream, with one usage chunk', async () => {
    mock.behave('gpt-3.5-turbo-instruct', { streamChunks: 3 });
    const stream = await client.chat.completions.create({ model: groupOf(host), messages: [{ role: 'user', content: 'Count to three now' }], stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('This is a mock response to: Count to three now');
    expect(chunks.filter((chunk) => chunk.usage != null)).toHaveLength(1);
    expect(chunks.at(-1)!.usage!.total_tokens).toBe(mock.billedTokens);
    expect(mock.requests[0]!.body).toMatchObject({ prompt: 'Count to three now', stream: true, stream_options: { include_usage: true } });
    expect(mock.calls).toBe(1);
  });

  it('providers hosts: text-completion a completions stream cut mid-way is an error the SDK raises, never a clean end', async () => {
    mock.behave('gpt-3.5-turbo-instruct', { streamChunks: 4, cutStreamAfter: 2 });
    const error = await (async () => {
      try {
        const stream = await client.chat.completions.create({ model: groupOf(host), messages: [{ role: 'user', content: 'one two three four five six' }], stream: true });
        for await (const chunk of stream) void chunk;
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(error).not.toBeNull();
    expect(mock.calls).toBe(1);
  });

  it('providers hosts: text-completion /v1/completions goes straight through; tools are a 400 before any call', async () => {
    const completion = await client.completions.create({ model: groupOf(host), prompt: 'Once upon' });
    expect(completion.object).toBe('text_completion');
    expect(mock.requests.map((r) => r.path)).toEqual(['/v1/completions']);
    mock.reset();
    const error = await client.chat.completions
      .create({ model: groupOf(host), messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f' } }] })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).param).toBe('tools');
    expect(mock.calls).toBe(0);
  });

  it('providers hosts: text-completion the limiter settles the reservation to the completion usage', async () => {
    const keys = async () => redis.keys(`${stack.names.prefix}:rl:*`);
    const stale = await keys();
    if (stale.length > 0) await redis.del(...stale);
    await client.chat.completions.create({ model: groupOf(host), max_tokens: 3000, messages: [{ role: 'user', content: 'Reserve a lot, use little' }] });
    expect(mock.calls).toBe(1);
    const totals = await eventually(async () => {
      const all = await keys();
      if (all.some((key) => key.includes(':rl:res:'))) return undefined;
      const tokenKeys = all.filter((key) => key.endsWith(':tok'));
      if (tokenKeys.length === 0) return undefined;
      const sums = await Promise.all(tokenKeys.map(async (key) => Object.values(await redis.hgetall(key)).reduce((sum, value) => sum + Number(value), 0)));
      return sums.every((sum) => sum === mock.billedTokens) ? sums : undefined;
    }, 15_000, 'the reservation settled to the completion usage');
    expect(totals.length).toBeGreaterThan(0);
  });
});
