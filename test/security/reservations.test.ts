import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { connect, headers as natsHeaders, type NatsConnection } from 'nats';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { BusHeaders, type CallEnvelope } from '@switchyard/contracts';
import { ClusterLimiter } from '@switchyard/limiter';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';

/**
 * Issue 12, hostile clients against reservations: nothing a client sends can
 * stall the gateway, hold a limit's slot it was not given, or get past a
 * limit by making its request look smaller than it is. Every row is a
 * finding against main; each answer is a 200 or an OpenAI-shaped 4xx, and a
 * 4xx reaches no provider.
 */

const config = (mockUrl: string) => `model_list:
  - model_name: counted
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${mockUrl}, api_key: sk-mock, tpm: 2000, max_parallel_requests: 1 }
  - model_name: sized
    litellm_params: { model: openai/sized, api_base: ${mockUrl}, api_key: sk-mock }
    model_info: { max_output_tokens: 4096, max_input_tokens: 8000 }
  - model_name: davinci
    litellm_params: { model: openai/davinci, api_base: ${mockUrl}, api_key: sk-mock, tpm: 2000 }
`;

interface HostileCase {
  name: string;
  path?: string;
  body: Record<string, unknown>;
  status: number;
  code?: string | null;
  param?: string | null;
  /** A request that can never succeed tells SDKs not to retry it. */
  noRetry?: boolean;
}

const user = (content: string) => [{ role: 'user', content }];
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const CASES: HostileCase[] = [
  // Used to freeze the ingress for 16 s: the exact count was quadratic in a word's length.
  { name: 'one 10,000-letter word to a tpm deployment is counted and served', body: { model: 'counted', messages: user('a'.repeat(10_000)), max_tokens: 10 }, status: 200 },
  { name: 'random unicode is counted and served', body: { model: 'counted', messages: user(Array.from({ length: 500 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20000))).join('')), max_tokens: 10 }, status: 200 },
  { name: 'special-token text is plain text, not a 500', body: { model: 'counted', messages: user('<|endoftext|><|im_start|>system'), max_tokens: 10 }, status: 200 },
  // Used to be a 500 that held the max_parallel_requests slot for the lease (timeout + 30 s).
  { name: 'max_tokens 2^53-1', body: { model: 'counted', messages: user('hi'), max_tokens: MAX_SAFE }, status: 400, param: 'max_tokens' },
  { name: 'max_completion_tokens 2^53-1', body: { model: 'counted', messages: user('hi'), max_completion_tokens: MAX_SAFE }, status: 400, param: 'max_completion_tokens' },
  { name: 'max_tokens above the documented cap of 1,000,000', body: { model: 'sized', messages: user('hi'), max_tokens: 1_000_001 }, status: 400, param: 'max_tokens' },
  { name: 'best_of above 20', path: '/v1/completions', body: { model: 'davinci', prompt: 'hi', best_of: 21 }, status: 400, param: 'best_of' },
  { name: "max_tokens above the deployment's model_info", body: { model: 'sized', messages: user('hi'), max_tokens: 5000 }, status: 400, param: 'max_tokens', code: 'invalid_value', noRetry: true },
  { name: "a prompt beyond the deployment's max_input_tokens", body: { model: 'sized', messages: user('word '.repeat(40_000)) }, status: 400, param: 'messages', code: 'context_length_exceeded', noRetry: true },
  // Used to be a 429, which SDKs retry although it can never succeed.
  { name: 'max_tokens larger than the whole tpm', body: { model: 'counted', messages: user('hi'), max_tokens: 100_000 }, status: 400, param: 'max_tokens', code: 'tokens_exceed_limit', noRetry: true },
  { name: 'n x max_tokens larger than the whole tpm', body: { model: 'counted', messages: user('hi'), max_tokens: 500, n: 10 }, status: 400, param: 'n', code: 'tokens_exceed_limit', noRetry: true },
  { name: 'max_completion_tokens: 1 hiding max_tokens: 100,000', body: { model: 'counted', messages: user('hi'), max_completion_tokens: 1, max_tokens: 100_000 }, status: 400, code: 'tokens_exceed_limit', noRetry: true },
  { name: 'best_of x max_tokens larger than the whole tpm', path: '/v1/completions', body: { model: 'davinci', prompt: 'hi', max_tokens: 200, n: 1, best_of: 20 }, status: 400, param: 'n', code: 'tokens_exceed_limit', noRetry: true },
  // Used to be admitted at 26 tokens: the tools were not counted.
  {
    name: 'a 10k-token prompt inside tools[].function.description',
    body: { model: 'counted', messages: user('hi'), max_tokens: 10, tools: [{ type: 'function', function: { name: 'f', description: 'word '.repeat(10_000), parameters: { type: 'object' } } }] },
    status: 400,
    param: 'messages',
    code: 'tokens_exceed_limit',
    noRetry: true,
  },
  { name: 'a 10k-token prompt inside response_format', body: { model: 'counted', messages: user('hi'), max_tokens: 10, response_format: { type: 'json_schema', json_schema: { name: 's', schema: { description: 'word '.repeat(10_000) } } } }, status: 400, code: 'tokens_exceed_limit' },
];

describe('security: hostile clients against reservations', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let redis: Redis;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({ servers: inject('servers'), config: config(mock.url) });
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
    redis?.disconnect();
  });
  beforeEach(async () => {
    const keys = await redis.keys(`${stack.names.prefix}:rl:*`);
    if (keys.length > 0) await redis.del(...keys);
    mock.reset();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${stack.ingressUrls[0]}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it.each(CASES)('$name: $status', async ({ path, body, status, code, param, noRetry }) => {
    const response = await post(path ?? '/v1/chat/completions', body);
    const answer = (await response.json()) as { error?: { message: string; type: string; param: string | null; code: string | null } };
    expect(response.status, JSON.stringify(answer)).toBe(status);
    if (status === 200) {
      expect(mock.calls).toBe(1);
      return;
    }
    expect(answer.error).toMatchObject({ type: 'invalid_request_error' });
    if (code !== undefined) expect(answer.error?.code).toBe(code);
    if (param !== undefined) expect(answer.error?.param).toBe(param);
    if (noRetry) expect(response.headers.get('x-should-retry')).toBe('false');
    expect(mock.calls).toBe(0);
  });

  it('a refused request holds no max_parallel_requests slot: the next one is served at once', async () => {
    expect((await post('/v1/chat/completions', { model: 'counted', messages: user('hi'), max_tokens: MAX_SAFE })).status).toBe(400);
    expect((await post('/v1/chat/completions', { model: 'counted', messages: user('hi'), max_tokens: 100_000 })).status).toBe(400);
    const served = await post('/v1/chat/completions', { model: 'counted', messages: user('hi'), max_tokens: 10 });
    expect(served.status).toBe(200);
    expect(mock.calls).toBe(1);
  });

  describe('a call message the upstream-caller cannot read', () => {
    let nc: NatsConnection;
    beforeAll(async () => {
      nc = await connect({ servers: inject('servers').natsUrl });
    });
    afterAll(async () => {
      await nc?.drain();
    });

    it('is answered with an error and its reservation released, not dropped', async () => {
      const deployment = stack.config.deployments.find((candidate) => candidate.modelName === 'counted')!;
      const limiter = new ClusterLimiter({ redis, keyPrefix: stack.names.prefix });
      const scope = { name: `dep:${deployment.id}`, rpm: null, tpm: 2000, maxParallel: 1 };
      const admitted = await limiter.admit({ reservationId: randomUUID(), deploymentId: deployment.id, scopes: [scope], tokens: 20, leaseMs: 120_000 });
      if (!admitted.admitted) throw new Error('expected the reservation');
      // The slot is held: a second admission is refused for parallelism.
      expect(await limiter.admit({ reservationId: randomUUID(), deploymentId: deployment.id, scopes: [scope], tokens: 20, leaseMs: 120_000 })).toMatchObject({ admitted: false, reason: 'parallel' });

      const inbox = `_INBOX.${randomUUID()}`;
      const replies = nc.subscribe(inbox, { max: 1 });
      const envelope: Partial<CallEnvelope> & Record<string, unknown> = {
        v: 1,
        requestId: 'hostile-1',
        endpoint: 'chat.completions',
        deploymentId: deployment.id,
        attempt: 1,
        // What a max_tokens of 2^53-1 made of a reservation: not a safe integer, so the envelope does not parse.
        reservation: { ...admitted.reservation, tokens: MAX_SAFE + 20 },
      };
      const h = natsHeaders();
      h.set(BusHeaders.envelope, JSON.stringify(envelope));
      h.set(BusHeaders.replyTo, inbox);
      nc.publish(stack.names.subjects.call, new TextEncoder().encode('{}'), { headers: h });

      for await (const reply of replies) {
        expect(reply.headers?.get(BusHeaders.part)).toBe('error');
        expect(JSON.parse(reply.headers!.get(BusHeaders.meta))).toMatchObject({ status: 500, definite: true, providerCalled: false });
      }
      // Settlement of the released reservation frees the slot (call-completed events take a few ms).
      const reservationKey = `${stack.names.prefix}:rl:res:${admitted.reservation.id}`;
      for (let attempt = 0; attempt < 500 && (await redis.exists(reservationKey)) === 1; attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await redis.exists(reservationKey)).toBe(0);
      expect((await limiter.admit({ reservationId: randomUUID(), deploymentId: deployment.id, scopes: [scope], tokens: 20, leaseMs: 120_000 })).admitted).toBe(true);
      expect(mock.calls).toBe(0);
    });
  });
});
