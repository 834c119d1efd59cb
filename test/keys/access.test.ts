import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BusHeaders, CallEnvelope } from '@switchyard/contracts';
import { hashKey } from '@switchyard/virtual-keys';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { admin, awaitStatus, chatWith, keysConfig, PROVIDER_KEY_ENV } from './fixtures.js';

/** Runs `call`, which must fail, and returns what it threw. */
async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}

/**
 * A generated key in the official OpenAI SDK, at its default settings: the
 * models the key (and its team) may call work, the others are refused as
 * LiteLLM refuses them, /v1/models lists only what the key may call, and
 * keys that were never issued, have expired, or are a hash are refused.
 */
describe('keys access: a virtual key in the OpenAI SDK', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let url: string;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({ servers: inject('servers'), config: keysConfig(mock.url), env: PROVIDER_KEY_ENV });
    url = stack.ingressUrls[0]!;
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });

  it('keys access: an allowed model answers; a forbidden one is a 401 key_model_access_denied, and no provider is called', async () => {
    const { body } = await admin(url, 'POST', '/key/generate', { models: ['model-a', 'fast'] });
    await awaitStatus(url, body.key, 'model-a', 200);
    const client = new OpenAI({ apiKey: body.key, baseURL: `${url}/v1` });
    mock.reset();

    const completion = await client.chat.completions.create({ model: 'model-a', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]!.message.content).toContain('hi');
    expect(mock.callsByModel()).toEqual({ 'provider-a': 1 });

    const error = await failureOf(() => client.chat.completions.create({ model: 'model-b', messages: [{ role: 'user', content: 'hi' }] }));
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const apiError = error as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(apiError.status).toBe(401);
    expect(apiError.error).toEqual({
      message: "key not allowed to access model. This key can only access models=['model-a', 'fast']. Tried to access model-b",
      type: 'key_model_access_denied',
      param: 'model',
      code: '401',
    });
    expect(mock.calls).toBe(1);

    // An alias the key lists is served by the group it names.
    expect((await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] })).object).toBe('chat.completion');
  });

  it('keys access: /v1/models lists only the key models; wildcards and the team list apply', async () => {
    const { body } = await admin(url, 'POST', '/key/generate', { models: ['openai/provider-b', 'model-c'] });
    await awaitStatus(url, body.key, 'model-c', 200);
    const client = new OpenAI({ apiKey: body.key, baseURL: `${url}/v1` });
    const listed = (await client.models.list()).data.map((model) => model.id);
    expect(listed.sort()).toEqual(['model-c']);

    const wildcard = await admin(url, 'POST', '/key/generate', { models: ['openai/*'] });
    await awaitStatus(url, wildcard.body.key, 'model-b', 200);
    const all = (await new OpenAI({ apiKey: wildcard.body.key, baseURL: `${url}/v1` }).models.list()).data.map((model) => model.id);
    expect(all.sort()).toEqual(['fast', 'model-a', 'model-b', 'model-c']);

    const team = await admin(url, 'POST', '/team/new', { models: ['model-b'] });
    const teamKey = await admin(url, 'POST', '/key/generate', { team_id: team.body.team_id });
    await awaitStatus(url, teamKey.body.key, 'model-b', 200);
    const teamClient = new OpenAI({ apiKey: teamKey.body.key, baseURL: `${url}/v1` });
    expect((await teamClient.models.list()).data.map((model) => model.id)).toEqual(['model-b']);
    const error = await failureOf(() => teamClient.chat.completions.create({ model: 'model-a', messages: [{ role: 'user', content: 'x' }] }));
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).error).toMatchObject({ type: 'team_model_access_denied', code: '401' });
  });

  it('keys access: a key that was never issued, or the hash of one that was, is refused', async () => {
    const { body } = await admin(url, 'POST', '/key/generate', {});
    await awaitStatus(url, body.key, 'model-a', 200);
    for (const presented of ['sk-never-issued-key-0000', hashKey(body.key), body.token as string, `${body.key}x`]) {
      const error = await failureOf(() => new OpenAI({ apiKey: presented, baseURL: `${url}/v1` }).chat.completions.create({ model: 'model-a', messages: [{ role: 'user', content: 'x' }] }));
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((error as InstanceType<typeof OpenAI.AuthenticationError>).message).toContain('Invalid proxy server token passed');
    }
  });

  it('keys access: an expired key is refused with LiteLLM expired_key', async () => {
    const { body } = await admin(url, 'POST', '/key/generate', { duration: '1s' });
    expect(Date.parse(body.expires)).toBeGreaterThan(Date.now() - 1_000);
    const refusal = await awaitStatus(url, body.key, 'model-a', 401, 10_000);
    expect(refusal.error).toMatchObject({ type: 'expired_key', code: '401' });
    expect(refusal.error.message).toMatch(/^Authentication Error - Expired Key\. Key Expiry time \S+ and current time \S+$/);
  });

  it('keys access: the body user and metadata ride the envelope as tags; the audit line names the key alias and team', async () => {
    const team = await admin(url, 'POST', '/team/new', { team_alias: 'tagging-team' });
    const { body } = await admin(url, 'POST', '/key/generate', { key_alias: 'tagged', team_id: team.body.team_id, user_id: 'owner-1' });
    await awaitStatus(url, body.key, 'model-a', 200);
    const counted = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(/switchyard_key_requests_total\{key_alias="tagged",team="tagging-team",status="200"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await counted();
    const decisions = stack.replicas[0]!.nc.subscribe(stack.names.subjects.decision, { max: 1 });
    const response = await chatWith(url, body.key, 'model-a', { user: 'end-user-7', metadata: { job: 'nightly' } });
    expect(response.status).toBe(200);
    let envelope: CallEnvelope | null = null;
    for await (const msg of decisions) envelope = CallEnvelope.parse(JSON.parse(msg.headers!.get(BusHeaders.envelope)));
    expect(envelope!.tags).toEqual({ endUser: 'end-user-7', metadata: '{"job":"nightly"}' });
    expect(envelope!.caller).toMatchObject({ keyHash: body.token, keyAlias: 'tagged', teamId: team.body.team_id, teamAlias: 'tagging-team', userId: 'owner-1' });
    expect(await counted()).toBe(before + 1);
  });
});
