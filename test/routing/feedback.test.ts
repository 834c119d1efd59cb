import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectBus, type NatsConnection } from '@switchyard/bus';
import { createDb, type Database, type Kysely } from '@switchyard/db';
import { createIngress, type IngressService } from '@switchyard/ingress';
import { createRedisClient } from '@switchyard/redis';
import { createLogger, createMetricsRegistry } from '@switchyard/telemetry';
import { dropTestDatabase, eventually, startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';

/**
 * Explicit feedback end to end (issue 18): POST /v1/feedback scores a routed
 * response by its request id, only for the caller who made it, once, through
 * the learner's exactly-once path, weighted above an implicit signal.
 */
function feedbackConfig(mockUrl: string): string {
  return `model_list:
  - model_name: cheap
    litellm_params: { model: openai/cheap, api_base: ${mockUrl}, api_key: sk-mock, input_cost_per_token: 0.0000003 }
  - model_name: smart
    litellm_params:
      model: auto_router/adaptive_router
      adaptive_router_config:
        available_models: [cheap]
        teaching: { explicit_feedback_weight: 3 }
`;
}

const authenticate = (authorization: string | undefined): string | null => `key_${/^Bearer\s+(\w+)$/.exec(authorization ?? '')?.[1] ?? 'none'}`;

describe('routing: explicit feedback', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let ingress: IngressService;
  let nc: NatsConnection;
  let redis: ReturnType<typeof createRedisClient>;
  let db: Kysely<Database>;
  let url: string;

  const post = (path: string, key: string, body: unknown) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });

  async function routed(key: string, content: string): Promise<string> {
    const response = await post('/v1/chat/completions', key, { model: 'smart', messages: [{ role: 'user', content }] });
    expect(response.status).toBe(200);
    await response.json();
    return response.headers.get('x-request-id')!;
  }

  const cell = (type: string) =>
    db.selectFrom('bandit_cells').select(['alpha', 'beta', 'samples']).where('request_type', '=', type).where('model', '=', 'cheap').executeTakeFirst();

  beforeAll(async () => {
    mock = await startMockProvider();
    const servers = inject('servers');
    stack = await startInProcessStack({ servers, config: feedbackConfig(mock.url), scale: { ingress: 0 } });
    const logger = createLogger({ service: 'test', level: 'silent' });
    nc = await connectBus({ url: servers.natsUrl, name: `${stack.names.prefix}-feedback-ingress`, logger });
    redis = createRedisClient(servers.redisUrl, logger);
    ingress = await createIngress({ nc, names: stack.names, config: stack.config, logger, registry: createMetricsRegistry('ingress', 'feedback'), redis, authenticate });
    url = `http://127.0.0.1:${await ingress.start('127.0.0.1', 0)}`;
    db = createDb(stack.databaseUrl, 2);
  }, 60_000);

  afterAll(async () => {
    await ingress?.stop();
    redis?.disconnect();
    await nc?.drain();
    await db?.destroy();
    await stack?.stop();
    if (stack) await dropTestDatabase(inject('servers').postgresUrl, stack.databaseUrl);
    await mock?.close();
  });

  it('routing: a score counts once, weighted, for the caller who made the request, and nobody else can score it', async () => {
    const codeRequest = await routed('alice', 'Write a python function that reverses a list');
    const writingRequest = await routed('alice', 'Draft an email to the team about the offsite');

    // Another key, an unknown id, a bad body: clear errors, nothing recorded.
    const stranger = await post('/v1/feedback', 'bob', { request_id: codeRequest, value: 10 });
    expect(stranger.status).toBe(404);
    expect(((await stranger.json()) as { error: { type: string } }).error.type).toBeDefined();
    expect((await post('/v1/feedback', 'alice', { request_id: 'req_made_up', value: 10 })).status).toBe(404);
    const bad = await post('/v1/feedback', 'alice', { request_id: codeRequest, value: 11 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('value');
    expect((await post('/v1/feedback', 'alice', { value: 1 })).status).toBe(400);

    const scored = await post('/v1/feedback', 'alice', { request_id: codeRequest, value: -10 });
    expect(scored.status).toBe(200);
    expect(await scored.json()).toMatchObject({ status: 'success', feedback_ids: [expect.stringMatching(/^feedback-/)] });
    // The same score again is accepted and counts once.
    expect((await post('/v1/feedback', 'alice', { request_id: codeRequest, value: -10 })).status).toBe(200);
    // Portkey's field name and half weight: +5 of 10 x 0.5 x 3 = alpha 0.75.
    expect((await post('/v1/feedback', 'alice', { trace_id: writingRequest, value: 5, weight: 0.5 })).status).toBe(200);

    const writing = await eventually(async () => (await cell('writing')) ?? undefined, 30_000, 'the writing score applied');
    expect(writing).toEqual({ alpha: 0.75, beta: 0, samples: 1 });
    expect(await cell('code_generation')).toEqual({ alpha: 0, beta: 3, samples: 1 });
    // The state endpoint shows the interval and where the evidence came from (the KV bucket reaches the ingress after the commit).
    type StateCell = { request_type: string; samples: number; credible_interval_90: [number, number]; evidence: unknown };
    const code = await eventually(async () => {
      const state = (await (await fetch(`${url}/routers/smart/state`)).json()) as { routers: Array<{ cells: StateCell[] }> };
      const found = state.routers[0]!.cells.find((entry) => entry.request_type === 'code_generation')!;
      return found.samples === 1 ? found : undefined;
    }, 30_000, 'the code score on the state endpoint');
    expect(code.evidence).toEqual({ implicit: { alpha: 0, beta: 0 }, explicit: { alpha: 0, beta: 3 }, by_teacher: [{ teacher: 'key_alice', alpha: 0, beta: 3 }] });
    const [low, high] = code.credible_interval_90;
    expect(low).toBeGreaterThan(0);
    expect(high).toBeLessThan(1);
    expect(low).toBeLessThan(high);
  });
});
