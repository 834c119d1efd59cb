import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectBus, type NatsConnection } from '@switchyard/bus';
import { createDb, type Database, type Kysely } from '@switchyard/db';
import { createIngress, type IngressService } from '@switchyard/ingress';
import { createRedisClient } from '@switchyard/redis';
import { pickModel, priorFor, seededRandom } from '@switchyard/routing';
import { createLogger, createMetricsRegistry } from '@switchyard/telemetry';
import { dropTestDatabase, eventually, startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';

/**
 * Trust (issue 18): one key's fabricated conversations cannot move everyone's
 * routing beyond the cap. The router picks between a cheap tier-1 model and a
 * frontier tier-3 model that is good at code. Five honest keys thank the
 * frontier model for code (and give up on the cheap one); then one key sends
 * 20 conversations pinned to the frontier model with the min-tier header and
 * 60 unpinned ones, every one of them a give-up. The cap is 5 units of
 * evidence per key, cell and week. Another key's code prompts must still go
 * to the frontier model.
 */
const CAP = 5;
const HONEST_KEYS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const HONEST_CONVERSATIONS = 8;
const PINNED = 20;
const FABRICATED = 60;
const PROBES = 30;

function trustConfig(mockUrl: string): string {
  return `model_list:
  - model_name: cheap
    litellm_params: { model: openai/cheap, api_base: ${mockUrl}, api_key: sk-mock, input_cost_per_token: 0.0000003 }
    model_info: { adaptive_router_preferences: { quality_tier: 1 } }
  - model_name: frontier
    litellm_params: { model: openai/frontier, api_base: ${mockUrl}, api_key: sk-mock, input_cost_per_token: 0.00001 }
    model_info: { adaptive_router_preferences: { quality_tier: 3, strengths: [code_generation] } }
  - model_name: smart
    litellm_params:
      model: auto_router/adaptive_router
      adaptive_router_config:
        available_models: [cheap, frontier]
        teaching: { max_evidence_per_key: ${CAP}, window_seconds: 604800, constrained_pick_weight: 0 }
`;
}

/** Bearer tokens name their caller: the seam virtual keys will use; the test needs several keys. */
const authenticate = (authorization: string | undefined): string | null => {
  const token = /^Bearer\s+(\w+)$/.exec(authorization ?? '')?.[1];
  if (!token) throw new Error('the test always sends a key');
  return `key_${token}`;
};

describe('routing: trust, one key cannot steer everyone', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let ingress: IngressService;
  let nc: NatsConnection;
  let redis: ReturnType<typeof createRedisClient>;
  let db: Kysely<Database>;
  let url: string;
  let learned = 0;

  async function send(key: string, messages: Array<{ role: string; content: string }>, headers: Record<string, string> = {}) {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
      body: JSON.stringify({ model: 'smart', messages }),
    });
    const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
    if (response.status !== 200) throw new Error(`status ${response.status}: ${JSON.stringify(body)}`);
    return { model: response.headers.get('x-switchyard-router-model')!, text: body.choices[0]!.message.content };
  }

  /** A code conversation of two learned turns: the opener, then the reaction `react` gives to its owner. */
  async function converse(key: string, i: number, react: (owner: string) => string, headers: Record<string, string> = {}): Promise<string> {
    const session = { 'x-switchyard-session-id': randomUUID(), ...headers };
    const opener = `Write a python function that merges sorted lists, variant ${key} ${i}`;
    const first = await send(key, [{ role: 'user', content: opener }], session);
    await send(key, [{ role: 'user', content: opener }, { role: 'assistant', content: first.text }, { role: 'user', content: react(first.model) }], session);
    learned += 2;
    return first.model;
  }

  /** Waits until the learner has applied every turn event sent so far (its own counter, not a sleep). */
  async function learnerCaughtUp(): Promise<void> {
    const registry = stack.replicas.find((replica) => replica.service === 'learner')!.registry;
    await eventually(async () => {
      const metric = await registry.getSingleMetric('switchyard_learner_turn_events_total')?.get();
      const applied = metric?.values.filter((value) => value.labels.outcome === 'applied').reduce((sum, value) => sum + value.value, 0) ?? 0;
      return applied >= learned ? true : undefined;
    }, 60_000, `${learned} turn events applied`);
  }

  async function teacherEvidence(teacher: string) {
    return db.selectFrom('teacher_evidence').select(['request_type', 'model', 'mass', 'alpha', 'beta']).where('teacher', '=', teacher).orderBy('model').execute();
  }

  async function frontierCodeCell() {
    return db.selectFrom('bandit_cells').select(['alpha', 'beta', 'samples']).where('request_type', '=', 'code_generation').where('model', '=', 'frontier').executeTakeFirst();
  }

  beforeAll(async () => {
    mock = await startMockProvider();
    const servers = inject('servers');
    stack = await startInProcessStack({ servers, config: trustConfig(mock.url), scale: { ingress: 0 } });
    const logger = createLogger({ service: 'test', level: 'silent' });
    nc = await connectBus({ url: servers.natsUrl, name: `${stack.names.prefix}-trust-ingress`, logger });
    redis = createRedisClient(servers.redisUrl, logger);
    ingress = await createIngress({ nc, names: stack.names, config: stack.config, logger, registry: createMetricsRegistry('ingress', 'trust'), redis, authenticate });
    url = `http://127.0.0.1:${await ingress.start('127.0.0.1', 0)}`;
    db = createDb(stack.databaseUrl, 2);

    const honest = (owner: string) => (owner === 'frontier' ? 'thanks, that worked perfectly' : 'never mind, forget it, this is not working');
    for (const key of HONEST_KEYS) for (let i = 0; i < HONEST_CONVERSATIONS; i++) await converse(key, i, honest);
    await learnerCaughtUp();
  }, 240_000);

  afterAll(async () => {
    await ingress?.stop();
    redis?.disconnect();
    await nc?.drain();
    await db?.destroy();
    await stack?.stop();
    if (stack) await dropTestDatabase(inject('servers').postgresUrl, stack.databaseUrl);
    await mock?.close();
  });

  it('routing: each honest key teaches at most the cap', async () => {
    for (const key of HONEST_KEYS) {
      for (const row of await teacherEvidence(`key_${key}`)) expect(row.mass).toBeLessThanOrEqual(CAP);
    }
    const cell = await frontierCodeCell();
    expect(cell!.alpha).toBeGreaterThanOrEqual(HONEST_KEYS.length * (CAP - 1));
    expect(cell!.alpha).toBeLessThanOrEqual(HONEST_KEYS.length * CAP);
  });

  it('routing: conversations pinned with the min-tier header teach nothing', async () => {
    const before = await frontierCodeCell();
    for (let i = 0; i < PINNED; i++) {
      const owner = await converse('mallory', i, () => 'never mind, forget it, this is not working', { 'x-switchyard-min-quality-tier': '3' });
      expect(owner).toBe('frontier');
    }
    await learnerCaughtUp();
    expect(await teacherEvidence('key_mallory')).toEqual([]);
    expect(await frontierCodeCell()).toEqual(before);
  });

  it("routing: 60 fabricated give-ups from one key add at most the cap, and another key's code prompts still go to the frontier model", async () => {
    const honest = await frontierCodeCell();
    for (let i = 0; i < FABRICATED; i++) await converse('mallory', PINNED + i, () => 'never mind, forget it, this is not working');
    await learnerCaughtUp();

    const attacker = await teacherEvidence('key_mallory');
    for (const row of attacker) expect(row.mass).toBeLessThanOrEqual(CAP);
    const after = (await frontierCodeCell())!;
    expect(after.alpha).toBe(honest!.alpha);
    expect(after.beta - honest!.beta).toBeLessThanOrEqual(CAP);

    let frontier = 0;
    for (let i = 0; i < PROBES; i++) if ((await send('zoe', [{ role: 'user', content: `Write a python function that parses dates, case ${i}` }])).model === 'frontier') frontier += 1;

    // What the same 60 give-ups would have done without the cap, by the router's own pick over the same evidence.
    const router = stack.config.routers[0]!;
    const random = seededRandom(18);
    const uncappedBeta = honest!.beta + FABRICATED;
    let uncapped = 0;
    for (let i = 0; i < 1_000; i++) {
      const picked = pickModel(router, 'code_generation', (model) => (model === 'frontier' ? { alpha: after.alpha, beta: uncappedBeta } : undefined), { random });
      if ('model' in picked && picked.model === 'frontier') uncapped += 1;
    }
    console.log(
      `trust: frontier code cell ${JSON.stringify(after)} (prior ${JSON.stringify(priorFor(router.models[1]!, 'code_generation'))}); ` +
        `attacker evidence ${JSON.stringify(attacker)}; frontier share of ${PROBES} probes ${frontier}/${PROBES}; without the cap ${(uncapped / 10).toFixed(1)}%`,
    );
    expect(frontier).toBeGreaterThanOrEqual(PROBES - 5);
    expect(uncapped / 1_000).toBeLessThan(0.2);
  });
});
