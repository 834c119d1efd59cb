import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { chatWith, routerConfig, type Message } from './fixtures.js';

describe('routing: adaptive routers at the ingress', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let url: string;
  let redis: Redis;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({ servers: inject('servers'), config: routerConfig(mock.url), scale: { ingress: 2 } });
    url = stack.ingressUrls[0]!;
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
    await mock?.close();
  });

  it('routes a router name to one of its models, names it in both headers, and calls only that model', async () => {
    mock.reset();
    const { response, model } = await chatWith(url, [{ role: 'user', content: 'Write a python function that reverses a list' }]);
    expect(response.status).toBe(200);
    expect(['budget', 'frontier']).toContain(model);
    expect(response.headers.get('x-litellm-adaptive-router-model')).toBe(model);
    expect(response.headers.get('x-switchyard-deployment')).toMatch(new RegExp(`^${model}/`));
    expect(mock.calls).toBe(1);
    expect(mock.callsByModel()).toEqual({ [`${model}-model`]: 1 });
  });

  it('names the chosen model on streams too', async () => {
    const { response, text, model } = await chatWith(url, [{ role: 'user', content: 'hello' }], {}, { stream: true });
    expect(response.status).toBe(200);
    expect(['budget', 'frontier']).toContain(model);
    expect(text).toContain('data: [DONE]');
  });

  it.each([
    ['the Switchyard header', { 'x-switchyard-min-quality-tier': '3' }, {}],
    ['the LiteLLM header', { 'x-litellm-min-quality-tier': '2' }, {}],
    ['metadata.min_quality_tier', {}, { metadata: { min_quality_tier: 3 } }],
  ])('honours a minimum quality tier from %s', async (_case, headers, extra) => {
    for (let i = 0; i < 10; i++) {
      const { model } = await chatWith(url, [{ role: 'user', content: `What is the capital of France? ${i}` }], headers, extra);
      expect(model).toBe('frontier');
    }
  });

  it('ignores a minimum tier that is not an integer', async () => {
    const { response } = await chatWith(url, [{ role: 'user', content: 'hi' }], { 'x-switchyard-min-quality-tier': 'high' });
    expect(response.status).toBe(200);
  });

  it('answers 400 naming the tier when no model is good enough, and calls nothing', async () => {
    mock.reset();
    const { response, text } = await chatWith(url, [{ role: 'user', content: 'hi' }], { 'x-switchyard-min-quality-tier': '4' });
    const body = JSON.parse(text);
    expect(response.status).toBe(400);
    expect(body.error).toMatchObject({ code: 'no_eligible_model', param: 'min_quality_tier', type: 'invalid_request_error' });
    expect(body.error.message).toContain('tier 4');
    expect(mock.calls).toBe(0);
  });

  it('keeps a learned conversation with the model that first served it, across replicas, with a TTL in Redis', async () => {
    const sessionId = randomUUID();
    const first = await chatWith(url, [{ role: 'user', content: 'Explain this code' }], { 'x-switchyard-session-id': sessionId });
    const messages: Message[] = [{ role: 'user', content: 'Explain this code' }];
    for (let turn = 0; turn < 12; turn++) {
      messages.push({ role: 'assistant', content: `answer ${turn}` }, { role: 'user', content: `and this? ${turn}` });
      const next = await chatWith(stack.ingressUrls[turn % 2]!, messages, { 'x-switchyard-session-id': sessionId });
      expect(next.model).toBe(first.model);
    }
    const keys = await redis.keys(`${stack.names.prefix}:session-owner:smart:*`);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    const ttl = await redis.ttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
  });

  it('gives a conversation without a client id a session from its opening (4 messages), not before', async () => {
    const before = await redis.keys(`${stack.names.prefix}:session-owner:smart:*`);
    const opening: Message[] = [
      { role: 'system', content: `sys ${randomUUID()}` },
      { role: 'user', content: 'Draft an email to my team' },
      { role: 'assistant', content: 'Sure, here it is' },
    ];
    await chatWith(url, opening);
    expect(await redis.keys(`${stack.names.prefix}:session-owner:smart:*`)).toHaveLength(before.length);
    await chatWith(url, [...opening, { role: 'user', content: 'Make it more formal' }]);
    expect(await redis.keys(`${stack.names.prefix}:session-owner:smart:*`)).toHaveLength(before.length + 1);
  });

  it('lists the router in /v1/models and shows its cells on both state endpoints', async () => {
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((model) => model.id)).toContain('smart');
    for (const path of ['/routers/smart/state', '/adaptive_router/smart/state']) {
      const state = (await (await fetch(`${url}${path}`)).json()) as { routers: Array<Record<string, any>> };
      expect(state.routers).toHaveLength(1);
      const router = state.routers[0]!;
      expect(router).toMatchObject({ router_name: 'smart', available_models: ['budget', 'frontier'], weights: { quality: 0.7, cost: 0.3 } });
      expect(router.cells).toHaveLength(7 * 2);
      const codeFrontier = router.cells.find((cell: any) => cell.request_type === 'code_generation' && cell.model === 'frontier');
      // Prior: tier 3 (0.7) + strength (0.3), capped at 0.95, mass 10.
      expect(codeFrontier).toMatchObject({ alpha: 9.5, samples: 0 });
      expect(codeFrontier.beta).toBeCloseTo(0.5, 10);
      expect(codeFrontier.quality_mean).toBeCloseTo(0.95, 10);
    }
    expect((await fetch(`${url}/routers/nope/state`)).status).toBe(404);
  });
});
