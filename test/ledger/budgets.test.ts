import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createDb, sql, type Database, type Kysely } from '@switchyard/db';
import { eventually, startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { admin, awaitKeyOnEveryReplica } from './fixtures.js';

/**
 * Budgets for the whole cluster: five ingress replicas and two limiters
 * admit a caller's requests against one budget in Redis (the call's
 * worst-case cost reserved atomically, settled to the real cost), so many
 * concurrent requests overspend it by at most one request's cost. Denials
 * are LiteLLM's budget error and reach no provider; a `budget_duration`
 * period resets on Redis's clock.
 */

const MASTER_KEY = 'sk-master-budgets';
const PRICE_IN = 0.00001;
const PRICE_OUT = 0.00002;
const MAX_TOKENS = 20;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The keys of each test, made with /key/generate (LiteLLM's max_budget, budget_duration) in beforeAll. */
const KEYS = { race: '', sdk: '', reset: '', failing: '', teamA: '', teamB: '' };
const BUDGETS = { race: 0.005, sdk: 0.0012, reset: 0.0012, failing: 0.0006, team: 0.0012 };

describe('ledger: budgets for the whole cluster', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let db: Kysely<Database>;
  let redis: Redis;

  beforeAll(async () => {
    mock = await startMockProvider({ maxRecorded: 10 });
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: `model_list:
  - model_name: priced
    litellm_params: { model: openai/provider-priced, api_base: "${mock.url}", api_key: sk-mock, input_cost_per_token: ${PRICE_IN}, output_cost_per_token: ${PRICE_OUT} }
general_settings:
  master_key: ${MASTER_KEY}
`,
      scale: { ingress: 5, limiter: 2, 'upstream-caller': 2, learner: 0, ledger: 1 },
    });
    const url = stack.ingressUrls[0]!;
    const generate = async (body: Record<string, unknown>) => (await admin(url, MASTER_KEY, '/key/generate', body)).key as string;
    KEYS.race = await generate({ key_alias: 'race', max_budget: BUDGETS.race });
    KEYS.sdk = await generate({ key_alias: 'sdk', max_budget: BUDGETS.sdk });
    KEYS.reset = await generate({ key_alias: 'reset', max_budget: BUDGETS.reset, budget_duration: '4s' });
    KEYS.failing = await generate({ key_alias: 'failing', max_budget: BUDGETS.failing });
    await admin(url, MASTER_KEY, '/team/new', { team_id: 'blue', team_alias: 'Blue', max_budget: BUDGETS.team });
    KEYS.teamA = await generate({ key_alias: 'blue-a', team_id: 'blue' });
    KEYS.teamB = await generate({ key_alias: 'blue-b', team_id: 'blue' });
    for (const key of Object.values(KEYS)) await awaitKeyOnEveryReplica(stack.ingressUrls, key);
    db = createDb(stack.databaseUrl, 2);
    redis = new Redis(inject('servers').redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
    await db?.destroy();
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => {
    mock.reset();
    // A long reply cut at max_tokens: every call uses its whole completion bound.
    mock.behave('*', { reply: 'word '.repeat(400), honourMaxTokens: true });
  });

  const clientFor = (key: string, ingress = 0, maxRetries?: number) =>
    new OpenAI({ apiKey: key, baseURL: `${stack.ingressUrls[ingress]}/v1`, ...(maxRetries === undefined ? {} : { maxRetries }) });
  const ask = (client: OpenAI) => client.chat.completions.create({ model: 'priced', messages: [{ role: 'user', content: 'spend a little' }], max_tokens: MAX_TOKENS });
  const spentOf = async (keyHash: string) =>
    (await db.selectFrom('spend_logs').select([sql<number>`coalesce(sum(cost), 0)::float8`.as('spend'), sql<number>`count(*)::int`.as('calls')]).where('key_hash', '=', keyHash).executeTakeFirstOrThrow());
  const statusOf = async (call: Promise<unknown>): Promise<number> =>
    call.then(
      () => 200,
      (error: unknown) => (error instanceof OpenAI.APIError ? (error.status ?? 0) : 0),
    );

  it('ledger: 5 ingress replicas, 2 limiters, waves of 40 concurrent requests: the budget is overspent by at most one request\'s cost', async () => {
    const keyHash = sha256(KEYS.race);
    const budget = BUDGETS.race;
    // Waves of concurrent requests over every replica, until the budget has refused every request of a wave.
    const statuses: number[] = [];
    for (let wave = 0; wave < 4; wave++) {
      const clients = stack.ingressUrls.map((_, index) => clientFor(KEYS.race, index, 0));
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => statusOf(ask(clients[i % clients.length]!))));
      statuses.push(...results);
      // The next wave starts once this one's calls have all settled (the ledger has every row).
      const admitted = statuses.filter((status) => status === 200).length;
      await eventually(async () => ((await spentOf(keyHash)).calls === admitted ? true : undefined), 30_000, 'the wave in the ledger');
      if (results.every((status) => status === 429)) break;
    }
    const admitted = statuses.filter((status) => status === 200).length;
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    expect(admitted).toBeGreaterThan(0);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(mock.calls).toBe(admitted);
    const { spend } = await spentOf(keyHash);
    const perRequest = await db.selectFrom('spend_logs').select(sql<number>`max(cost)::float8`.as('max')).where('key_hash', '=', keyHash).executeTakeFirstOrThrow();
    const overspend = Math.max(0, spend - budget);
    console.info(
      `[budget race] budget $${budget}, ${statuses.length} requests over 5 ingress replicas and 2 limiters: ${admitted} admitted, ` +
        `spent $${spend.toFixed(6)}, overspend $${overspend.toFixed(6)} (one request costs at most $${perRequest.max.toFixed(6)})`,
    );
    expect(spend).toBeLessThanOrEqual(budget + perRequest.max);
    // The cluster's counter settled to the ledger's real spend.
    const counter = Number(await redis.hget(`${stack.names.prefix}:budget:{key:${keyHash}}`, '0')) / 1e9;
    expect(counter).toBeCloseTo(spend, 8);
  });

  it('ledger: an exhausted budget is LiteLLM\'s budget error, which the SDK does not retry and no provider sees', async () => {
    const client = clientFor(KEYS.sdk);
    // At default settings (two retries of a 429): each denial must still reach the limiter once and the provider never.
    let admitted = 0;
    let denial: unknown = null;
    for (let i = 0; i < 20 && denial === null; i++) {
      try {
        await ask(client);
        admitted += 1;
        await eventually(async () => ((await spentOf(sha256(KEYS.sdk))).calls === admitted ? true : undefined), 30_000);
      } catch (error) {
        denial = error;
      }
    }
    expect(admitted).toBeGreaterThan(0);
    expect(denial).toBeInstanceOf(OpenAI.RateLimitError);
    const error = denial as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.status).toBe(429);
    expect(error.headers?.get('x-should-retry')).toBe('false');
    expect(error.error).toMatchObject({ type: 'budget_exceeded', code: '429', param: null });
    expect((error.error as { message: string }).message).toMatch(/^Budget has been exceeded! Key=sdk Current cost: [0-9.e-]+, Max budget: 0.0012/);
    expect(mock.calls).toBe(admitted);
  });

  it('ledger: a call that failed at the provider without usage releases its reservation whole', async () => {
    // The budget holds one request's worst case: a failed call that kept its reservation would deny the next one.
    const client = clientFor(KEYS.failing, 1, 0);
    mock.behave('*', { status: 500 });
    expect(await statusOf(ask(client))).toBeGreaterThanOrEqual(500);
    expect(mock.calls).toBe(1);
    mock.behave('*', { status: 200, reply: 'word '.repeat(400), honourMaxTokens: true });
    await eventually(async () => ((await statusOf(ask(client))) === 200 ? true : undefined), 30_000, 'the reservation released');
  });

  it('ledger: a team budget holds across its keys', async () => {
    const a = clientFor(KEYS.teamA, 2, 0);
    const b = clientFor(KEYS.teamB, 3, 0);
    const statuses: number[] = [];
    for (let i = 0; i < 10 && !statuses.includes(429); i++) {
      statuses.push(await statusOf(ask(i % 2 === 0 ? a : b)));
      await eventually(async () => {
        const row = await db.selectFrom('spend_logs').select(sql<number>`count(*)::int`.as('calls')).where('team_id', '=', 'blue').executeTakeFirstOrThrow();
        return row.calls === statuses.filter((status) => status === 200).length ? true : undefined;
      }, 30_000);
    }
    expect(statuses.at(-1)).toBe(429);
    // Both keys are refused now: the cap is the team's.
    expect(await statusOf(ask(a))).toBe(429);
    expect(await statusOf(ask(b))).toBe(429);
    const team = await db.selectFrom('spend_logs').select(sql<number>`sum(cost)::float8`.as('spend')).where('team_id', '=', 'blue').executeTakeFirstOrThrow();
    expect(team.spend).toBeLessThanOrEqual(BUDGETS.team);
    // LiteLLM's `spend` on the team and key objects is the ledger's, joined by the ingress.
    const get = async (path: string) => (await fetch(`${stack.ingressUrls[1]}${path}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).json() as Promise<Record<string, any>>;
    expect((await get('/team/info?team_id=blue')).team_info.spend).toBeCloseTo(team.spend, 9);
    const keyA = await spentOf(sha256(KEYS.teamA));
    expect(keyA.calls).toBeGreaterThan(0);
    expect((await get(`/key/info?key=${encodeURIComponent(KEYS.teamA)}`)).info.spend).toBeCloseTo(keyA.spend, 9);
  });

  it('ledger: a budget_duration period resets on the cluster\'s clock', async () => {
    const client = clientFor(KEYS.reset, 4, 0);
    let denial: InstanceType<typeof OpenAI.APIError> | null = null;
    for (let i = 0; i < 20 && denial === null; i++) {
      try {
        await ask(client);
      } catch (error) {
        denial = error as InstanceType<typeof OpenAI.APIError>;
      }
    }
    expect(denial?.status).toBe(429);
    // Retry-After says when the period ends (at most the 4 s duration).
    const retryAfter = Number(denial!.headers?.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(4);
    const deniedAt = Date.now();
    await eventually(async () => ((await statusOf(ask(client))) === 200 ? true : undefined), 10_000, 'the next period');
    expect(Date.now() - deniedAt).toBeLessThanOrEqual(4_000 + 1_000);
  });
});
