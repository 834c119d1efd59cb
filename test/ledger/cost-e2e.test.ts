import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectBus } from '@switchyard/bus';
import { LedgerReply, type SpendLogRow } from '@switchyard/contracts';
import { createDb, type Database, type Kysely } from '@switchyard/db';
import { createLogger } from '@switchyard/telemetry';
import type { NatsConnection } from 'nats';
import { eventually, startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { admin, awaitKeyOnEveryReplica } from './fixtures.js';

/**
 * The cost of every call, end to end with the official OpenAI SDK: from the
 * deployment's configured prices or from the price table (cached tokens at
 * their own price), in the response headers of a whole response, and in the
 * ledger's row for every call (streams included, whose head leaves before
 * the cost is known). The spend routes read the ledger through the ingress.
 */

const MASTER_KEY = 'sk-master-ledger';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** Made with /key/generate in beforeAll: a key of team-red, owned by alice@example.com. */
let ALICE_KEY = '';
const alice = { keyHash: '' };
const PRICE_IN = 0.000001;
const PRICE_OUT = 0.000002;
// The price table's gpt-4o-mini: $0.15 per million input tokens, $0.075 per million cached, $0.60 per million output.
const MINI = { input: 0.15e-6, cached: 0.075e-6, output: 0.6e-6 };

describe('ledger: cost of every call, end to end', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let db: Kysely<Database>;
  let nc: NatsConnection;
  let client: OpenAI;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: `model_list:
  - model_name: priced
    litellm_params: { model: openai/provider-priced, api_base: "${mock.url}", api_key: sk-mock, input_cost_per_token: ${PRICE_IN}, output_cost_per_token: ${PRICE_OUT} }
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: "${mock.url}", api_key: sk-mock }
  - model_name: local
    litellm_params: { model: hosted_vllm/llama, api_base: "${mock.url}" }
general_settings:
  master_key: ${MASTER_KEY}
`,
      scale: { learner: 0, ledger: 1 },
    });
    const url = stack.ingressUrls[0]!;
    await admin(url, MASTER_KEY, '/team/new', { team_id: 'team-red', team_alias: 'Red Team' });
    ALICE_KEY = (await admin(url, MASTER_KEY, '/key/generate', { key_alias: 'alice-key', team_id: 'team-red', user_id: 'alice@example.com' })).key;
    alice.keyHash = sha256(ALICE_KEY);
    await awaitKeyOnEveryReplica(stack.ingressUrls, ALICE_KEY);
    db = createDb(stack.databaseUrl, 2);
    nc = await connectBus({ url: inject('servers').natsUrl, name: `${stack.names.prefix}-test`, logger: createLogger({ service: 'test', level: 'silent' }) });
    client = new OpenAI({ apiKey: ALICE_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await nc?.close();
    await db?.destroy();
    await stack?.stop();
    await mock?.close();
  });

  const rowOf = (requestId: string) =>
    eventually(() => db.selectFrom('spend_logs').selectAll().where('request_id', '=', requestId).executeTakeFirst(), 15_000, `the ledger row of ${requestId}`);

  const spendLogs = async (query: string, key = MASTER_KEY) => {
    const response = await fetch(`${stack.ingressUrls[0]}/spend/logs?${query}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it('ledger: the configured prices price the call, in both cost headers and the ledger row', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'priced', messages: [{ role: 'user', content: 'price me' }], user: 'customer-7', metadata: { job: 'nightly' } })
      .withResponse();
    const usage = data.usage!;
    const expected = usage.prompt_tokens * PRICE_IN + usage.completion_tokens * PRICE_OUT;
    expect(Number(response.headers.get('x-switchyard-response-cost'))).toBeCloseTo(expected, 12);
    expect(response.headers.get('x-litellm-response-cost')).toBe(response.headers.get('x-switchyard-response-cost'));
    const row = await rowOf(response.headers.get('x-switchyard-request-id')!);
    expect(row.cost).toBeCloseTo(expected, 12);
    expect(row).toMatchObject({
      key_hash: alice.keyHash,
      key_alias: 'alice-key',
      team_id: 'team-red',
      user_id: 'alice@example.com',
      end_user: 'customer-7',
      metadata: { job: 'nightly' },
      model_group: 'priced',
      provider: 'openai',
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
      status: 200,
      outcome: 'ok',
    });
    expect(row.ended_at.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
  });

  it('ledger: the price table prices a known model, cached prompt tokens at the cached price', async () => {
    mock.behave('gpt-4o-mini', { cachedPromptTokens: 4 });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a prompt long enough to have some cached tokens in it' }] })
      .withResponse();
    const usage = data.usage!;
    expect(usage.prompt_tokens_details?.cached_tokens).toBe(4);
    const expected = (usage.prompt_tokens - 4) * MINI.input + 4 * MINI.cached + usage.completion_tokens * MINI.output;
    expect(Number(response.headers.get('x-litellm-response-cost'))).toBeCloseTo(expected, 12);
    const row = await rowOf(response.headers.get('x-switchyard-request-id')!);
    expect(row.cost).toBeCloseTo(expected, 12);
    expect(row.cached_tokens).toBe(4);
  });

  it('ledger: a stream carries no cost header (its head leaves first); the ledger row has its cost', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'priced', messages: [{ role: 'user', content: 'stream me' }], stream: true, stream_options: { include_usage: true } })
      .withResponse();
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(response.headers.get('x-switchyard-response-cost')).toBeNull();
    expect(response.headers.get('x-litellm-response-cost')).toBeNull();
    const row = await rowOf(response.headers.get('x-switchyard-request-id')!);
    expect(row.stream).toBe(true);
    expect(row.cost).toBeCloseTo(usage!.prompt_tokens * PRICE_IN + usage!.completion_tokens * PRICE_OUT, 12);
  });

  it('ledger: a stream the provider cuts mid-way still has its row, priced by the text that came', async () => {
    mock.behave('provider-priced', { streamChunks: 6, cutStreamAfter: 3, chunkDelayMs: 30 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'priced', messages: [{ role: 'user', content: 'stream and break' }], stream: true })
      .withResponse();
    await expect(
      (async () => {
        for await (const chunk of stream) void chunk;
      })(),
    ).rejects.toThrow();
    const row = await rowOf(response.headers.get('x-switchyard-request-id')!);
    expect(row.outcome).toBe('provider_error');
    expect(row.completion_tokens).toBeGreaterThan(0);
    expect(row.cost).toBeCloseTo(row.prompt_tokens * PRICE_IN + row.completion_tokens * PRICE_OUT, 12);
    mock.behave('provider-priced', { streamChunks: 3, cutStreamAfter: Number.POSITIVE_INFINITY, chunkDelayMs: 0 });
  });

  it('ledger: a model no price knows has no cost header, and a row whose cost is unknown', async () => {
    const { response } = await client.chat.completions.create({ model: 'local', messages: [{ role: 'user', content: 'free?' }] }).withResponse();
    expect(response.headers.get('x-switchyard-response-cost')).toBeNull();
    const requestId = response.headers.get('x-switchyard-request-id')!;
    const row = await rowOf(requestId);
    expect(row.cost).toBeNull();
    const { body } = await spendLogs(`request_id=${requestId}`);
    expect((body as SpendLogRow[])[0]).toMatchObject({ spend: 0, cost_known: false });
  });

  it('ledger: GET /spend/logs answers in LiteLLM\'s row shape, by request id, key and user; per day with dates', async () => {
    const { response } = await client.chat.completions.create({ model: 'priced', messages: [{ role: 'user', content: 'log me' }] }).withResponse();
    const requestId = response.headers.get('x-switchyard-request-id')!;
    await rowOf(requestId);
    const byRequest = await spendLogs(`request_id=${requestId}`);
    expect(byRequest.status).toBe(200);
    const [row] = byRequest.body as SpendLogRow[];
    expect(row).toMatchObject({
      request_id: requestId,
      call_type: 'chat.completions',
      api_key: alice.keyHash,
      model_group: 'priced',
      model: 'provider-priced',
      custom_llm_provider: 'openai',
      user: 'alice@example.com',
      team_id: 'team-red',
      status: 'success',
      metadata: { user_api_key_alias: 'alice-key', user_api_key_team_alias: 'Red Team' },
    });
    expect(row!.spend).toBeCloseTo(Number(response.headers.get('x-switchyard-response-cost')), 12);
    // An `sk-` key is hashed as the key records are; the rows of that key only.
    const byKey = (await spendLogs(`api_key=${ALICE_KEY}&limit=1000`)).body as SpendLogRow[];
    expect(byKey.length).toBeGreaterThanOrEqual(4);
    expect(byKey.every((entry) => entry.api_key === alice.keyHash)).toBe(true);
    expect(((await spendLogs('user_id=nobody')).body as SpendLogRow[]).length).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    const [day] = (await spendLogs(`start_date=${today}&end_date=${today}`)).body as Array<Record<string, unknown>>;
    const total = byKey.reduce((sum, entry) => sum + entry.spend, 0);
    expect(day).toMatchObject({ startTime: today, users: { 'alice@example.com': expect.closeTo(total, 12) } });
    expect(day![alice.keyHash!]).toBeCloseTo(total, 12);
  });

  it('ledger: GET /global/spend/report groups by team, key, customer and model', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const report = async (groupBy: string) => {
      const response = await fetch(`${stack.ingressUrls[0]}/global/spend/report?start_date=${today}&end_date=${today}&group_by=${groupBy}`, {
        headers: { authorization: `Bearer ${MASTER_KEY}` },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as Array<Record<string, unknown>>;
    };
    const keyTotal = ((await spendLogs(`api_key=${ALICE_KEY}&limit=1000`)).body as SpendLogRow[]).reduce((sum, entry) => sum + entry.spend, 0);
    const [teams] = await report('team');
    expect(teams).toMatchObject({ group_by_day: today, teams: [{ team_name: 'Red Team', total_spend: expect.closeTo(keyTotal, 12) }] });
    const keys = await report('api_key');
    expect(keys).toEqual([expect.objectContaining({ api_key: alice.keyHash, total_cost: expect.closeTo(keyTotal, 12) })]);
    const [models] = await report('model');
    const names = ((models!.models as Array<{ model: string }>) ?? []).map((entry) => entry.model).sort();
    expect(names).toEqual(['gpt-4o-mini', 'local', 'priced']);
    const [customers] = await report('customer');
    expect((customers!.customers as Array<{ customer: string | null }>).map((entry) => entry.customer)).toContain('customer-7');
  });

  it('ledger: spend by key alias and team is a metric', async () => {
    const registry = stack.replicas.find((replica) => replica.service === 'ledger')!.registry;
    const metric = await registry.getSingleMetric('switchyard_spend_usd_total')!.get();
    const alices = metric.values.find((value) => value.labels.key_alias === 'alice-key' && value.labels.team === 'Red Team');
    const keyTotal = ((await spendLogs(`api_key=${ALICE_KEY}&limit=1000`)).body as SpendLogRow[]).reduce((sum, entry) => sum + entry.spend, 0);
    expect(alices?.value).toBeCloseTo(keyTotal, 12);
  });

  it('ledger: spend is the master key\'s; bad parameters are OpenAI-shaped 400s', async () => {
    const forbidden = await spendLogs('', ALICE_KEY);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ error: { type: 'auth_error', code: 'forbidden' } });
    expect(JSON.stringify(forbidden.body)).not.toContain(ALICE_KEY);
    const badDate = await spendLogs('start_date=yesterday&end_date=2026-01-01');
    expect(badDate.status).toBe(400);
    expect(badDate.body).toMatchObject({ error: { type: 'invalid_request_error', param: 'start_date' } });
    const oneDate = await spendLogs('start_date=2026-01-01');
    expect(oneDate.status).toBe(400);
    const response = await fetch(`${stack.ingressUrls[0]}/global/spend/report?start_date=2026-01-01&end_date=2026-01-02&group_by=planet`, {
      headers: { authorization: `Bearer ${MASTER_KEY}` },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe('group_by');
    expect((await fetch(`${stack.ingressUrls[0]}/spend/logs`)).status).toBe(401);
  });

  it('ledger: ledger.spend.of answers a key\'s, team\'s and user\'s recorded spend (what /key/info and /team/info read)', async () => {
    const keyTotal = ((await spendLogs(`api_key=${ALICE_KEY}&limit=1000`)).body as SpendLogRow[]).reduce((sum, entry) => sum + entry.spend, 0);
    const scopes = [`key:${alice.keyHash}`, 'team:team-red', 'user:alice@example.com', 'team:nobody'];
    const reply = LedgerReply.parse(JSON.parse(new TextDecoder().decode((await nc.request(stack.names.subjects.spendOf, JSON.stringify({ scopes }), { timeout: 5_000 })).data)));
    expect(reply.ok).toBe(true);
    const result = (reply as { result: Array<{ scope: string; spend: number; calls: number }> }).result;
    expect(result.map((entry) => entry.scope)).toEqual(scopes);
    expect(result[0]!.spend).toBeCloseTo(keyTotal, 12);
    expect(result[1]!.spend).toBeCloseTo(keyTotal, 12);
    expect(result[2]!.calls).toBe(result[0]!.calls);
    expect(result[3]).toMatchObject({ spend: 0, calls: 0, lastCallAt: null });
    // Since a moment (a budget period's start): from the rows; nothing since the future.
    const ask = async (sinceMs: number) =>
      LedgerReply.parse(JSON.parse(new TextDecoder().decode((await nc.request(stack.names.subjects.spendOf, JSON.stringify({ scopes: scopes.slice(0, 3), sinceMs }), { timeout: 5_000 })).data)));
    const sinceStart = (await ask(0)) as { ok: true; result: Array<{ spend: number; calls: number }> };
    expect(sinceStart.result.map((entry) => entry.calls)).toEqual(result.slice(0, 3).map((entry) => entry.calls));
    expect(sinceStart.result[0]!.spend).toBeCloseTo(keyTotal, 12);
    const future = (await ask(Date.now() + 3_600_000)) as { ok: true; result: Array<{ spend: number; calls: number }> };
    expect(future.result.every((entry) => entry.spend === 0 && entry.calls === 0)).toBe(true);
    const bad = LedgerReply.parse(JSON.parse(new TextDecoder().decode((await nc.request(stack.names.subjects.spendOf, JSON.stringify({ scopes: ['nobody'] }), { timeout: 5_000 })).data)));
    expect(bad).toMatchObject({ ok: false, status: 400 });
  });
});
