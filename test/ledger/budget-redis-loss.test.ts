import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, sql, type Database, type Kysely } from '@switchyard/db';
import { eventually, OwnRedisServer, startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { admin, awaitKeyOnEveryReplica } from './fixtures.js';

/**
 * Redis loses its data (a server without persistence, killed and started
 * again) while a key is half-way through its budget. The limiter finds the
 * budget's counter missing and seeds it from the ledger's recorded spend, so
 * the key cannot spend its whole budget a second time.
 */

const MASTER_KEY = 'sk-master-redis-loss';
const BUDGET = 0.004;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('ledger: budgets when Redis loses its data', () => {
  let redis: OwnRedisServer;
  let mock: MockProvider;
  let stack: InProcessStack;
  let db: Kysely<Database>;
  let key = '';

  beforeAll(async () => {
    redis = await OwnRedisServer.start();
    mock = await startMockProvider();
    mock.behave('*', { reply: 'word '.repeat(400), honourMaxTokens: true });
    stack = await startInProcessStack({
      servers: inject('servers'),
      redisUrl: redis.url,
      config: `model_list:
  - model_name: priced
    litellm_params: { model: openai/provider-priced, api_base: "${mock.url}", api_key: sk-mock, input_cost_per_token: 0.00001, output_cost_per_token: 0.00002 }
general_settings:
  master_key: ${MASTER_KEY}
`,
      scale: { learner: 0, ledger: 1 },
    });
    db = createDb(stack.databaseUrl, 2);
    key = (await admin(stack.ingressUrls[0]!, MASTER_KEY, '/key/generate', { key_alias: 'half-spent', max_budget: BUDGET })).key;
    await awaitKeyOnEveryReplica(stack.ingressUrls, key);
  });
  afterAll(async () => {
    await db?.destroy();
    await stack?.stop();
    await mock?.close();
    await redis?.stop();
  });

  it('ledger: the budget\'s counter restarts from the ledger\'s spend, not from zero', async () => {
    const client = new OpenAI({ apiKey: key, baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0 });
    const ask = () =>
      client.chat.completions.create({ model: 'priced', messages: [{ role: 'user', content: 'spend' }], max_tokens: 20 }).then(
        () => 200,
        (error: unknown) => (error instanceof OpenAI.APIError ? (error.status ?? 0) : 0),
      );
    const recorded = async () =>
      db.selectFrom('spend_logs').select([sql<number>`coalesce(sum(cost), 0)::float8`.as('spend'), sql<number>`count(*)::int`.as('calls')]).where('key_hash', '=', sha256(key)).executeTakeFirstOrThrow();

    // Half the budget, each call in the ledger before the next.
    let admitted = 0;
    while ((await recorded()).spend < BUDGET / 2) {
      expect(await ask()).toBe(200);
      admitted += 1;
      await eventually(async () => ((await recorded()).calls === admitted ? true : undefined));
    }
    const before = await recorded();

    await redis.kill();
    await redis.restart();
    // The limiter's client reconnects; the first answer after it is an admission again.
    let status = 0;
    await eventually(async () => ((status = await ask()) !== 503 ? true : undefined), 30_000, 'the limiter back on Redis');
    const statuses = [status];
    while (statuses.at(-1) === 200 && statuses.length < 50) {
      admitted += 1;
      await eventually(async () => ((await recorded()).calls === admitted ? true : undefined));
      statuses.push(await ask());
    }
    const after = await recorded();
    const perCall = after.spend / after.calls;
    console.info(
      `[budget after Redis data loss] $${before.spend.toFixed(6)} spent before the loss, $${after.spend.toFixed(6)} in all (budget $${BUDGET}), ` +
        `${statuses.filter((s) => s === 200).length} calls admitted after it`,
    );
    expect(statuses.at(-1)).toBe(429);
    // Seeded from the ledger: the budget holds across the loss (a counter restarted at zero would allow ~2x).
    expect(after.spend).toBeLessThanOrEqual(BUDGET + perCall);
    const reader = new Redis(redis.url);
    const counter = Number(await reader.hget(`${stack.names.prefix}:budget:{key:${sha256(key)}}`, '0')) / 1e9;
    reader.disconnect();
    expect(counter).toBeCloseTo(after.spend, 8);
  });
});
