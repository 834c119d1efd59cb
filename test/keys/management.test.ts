import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { admin, awaitStatus, chatWith, keysConfig, MASTER_KEY, PROVIDER_KEY_ENV } from './fixtures.js';

/**
 * LiteLLM's management API, as its scripts call it: /key/* and /team/*
 * with the master key, LiteLLM's request and response shapes, and every
 * change seen by every ingress replica.
 */
describe('keys management: the LiteLLM key and team API', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let urls: string[];

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({ servers: inject('servers'), config: keysConfig(mock.url), env: PROVIDER_KEY_ENV, scale: { ingress: 2 } });
    urls = stack.ingressUrls;
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });

  it('keys management: /key/generate shows the key once; info and list show only its hash', async () => {
    const generated = await admin(urls[0]!, 'POST', '/key/generate', { models: ['model-a'], key_alias: 'ci-bot', rpm_limit: 50, metadata: { owner: 'ci' }, duration: '1d' });
    expect(generated.status).toBe(200);
    const key = generated.body.key as string;
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(generated.body).toMatchObject({
      key_alias: 'ci-bot',
      key_name: `sk-...${key.slice(-4)}`,
      models: ['model-a'],
      rpm_limit: 50,
      tpm_limit: null,
      max_budget: null,
      metadata: { owner: 'ci' },
      blocked: false,
      spend: 0,
      token: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const hash = generated.body.token as string;
    expect(Date.parse(generated.body.expires) - Date.now()).toBeGreaterThan(23 * 3600_000);

    const info = await admin(urls[1]!, 'GET', `/key/info?key=${encodeURIComponent(key)}`);
    expect(info.status).toBe(200);
    expect(info.body.key).toBe(hash);
    expect(info.body.info).toMatchObject({ key_alias: 'ci-bot', models: ['model-a'], rpm_limit: 50, spend: 0 });
    expect(info.body.info.token).toBeUndefined();
    expect(JSON.stringify(info.body)).not.toContain(key);

    const byHash = await admin(urls[0]!, 'GET', `/key/info?key=${hash}`);
    expect(byHash.body.info.key_alias).toBe('ci-bot');

    const list = await admin(urls[0]!, 'GET', '/key/list?key_alias=ci-bot');
    expect(list.body).toEqual({ keys: [hash], total_count: 1, current_page: 1, total_pages: 1 });
    const full = await admin(urls[0]!, 'GET', '/key/list?return_full_object=true&size=100');
    expect(JSON.stringify(full.body)).not.toContain(key);
    expect(full.body.keys.some((entry: { token: string }) => entry.token === hash)).toBe(true);
  });

  it('keys management: the key works on every replica; update, block, unblock and delete reach each of them', async () => {
    const { body } = await admin(urls[0]!, 'POST', '/key/generate', { models: ['model-a'] });
    const key = body.key as string;
    for (const url of urls) await awaitStatus(url, key, 'model-a', 200);

    const updated = await admin(urls[1]!, 'POST', '/key/update', { key, models: ['model-b'], tpm_limit: 1000 });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ key: body.token, models: ['model-b'], tpm_limit: 1000 });
    for (const url of urls) {
      await awaitStatus(url, key, 'model-a', 401);
      expect((await chatWith(url, key, 'model-b')).status).toBe(200);
    }

    const blocked = await admin(urls[0]!, 'POST', '/key/block', { key });
    expect(blocked.body).toMatchObject({ blocked: true, token: body.token });
    for (const url of urls) {
      const refusal = await awaitStatus(url, key, 'model-b', 401);
      expect(refusal.error).toEqual({ message: "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.", type: 'auth_error', param: null, code: '401' });
    }
    expect((await admin(urls[0]!, 'POST', '/key/unblock', { key: body.token })).body.blocked).toBe(false);
    for (const url of urls) await awaitStatus(url, key, 'model-b', 200);

    const deleted = await admin(urls[1]!, 'POST', '/key/delete', { keys: [key] });
    expect(deleted).toEqual({ status: 200, body: { deleted_keys: [body.token] } });
    for (const url of urls) await awaitStatus(url, key, 'model-b', 401);
    expect((await admin(urls[0]!, 'GET', `/key/info?key=${key}`)).status).toBe(404);
  });

  it('keys management: a custom key, deletion by alias, and LiteLLM errors for what cannot be done', async () => {
    const custom = 'sk-my-own-custom-key-777';
    const made = await admin(urls[0]!, 'POST', '/key/generate', { key: custom, key_alias: 'custom-one' });
    expect(made.status).toBe(200);
    expect(made.body.key).toBe(custom);
    await awaitStatus(urls[1]!, custom, 'model-c', 200);

    const again = await admin(urls[0]!, 'POST', '/key/generate', { key: custom });
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ type: 'bad_request_error', code: '400' });
    const sameAlias = await admin(urls[0]!, 'POST', '/key/generate', { key_alias: 'custom-one' });
    expect(sameAlias.status).toBe(400);
    const badKey = await admin(urls[0]!, 'POST', '/key/generate', { key: 'not-sk-key-123' });
    expect(badKey.body.error.message).toContain("must start with 'sk-'");
    const badField = await admin(urls[0]!, 'POST', '/key/generate', { rpm_limit: 'fast' });
    expect(badField).toMatchObject({ status: 400, body: { error: { param: 'rpm_limit', code: '400' } } });
    const noTeam = await admin(urls[0]!, 'POST', '/key/generate', { team_id: 'no-such-team' });
    expect(noTeam.status).toBe(400);
    expect(noTeam.body.error.message).toContain("Team doesn't exist in db");

    // One unknown name in the list deletes nothing.
    const partial = await admin(urls[0]!, 'POST', '/key/delete', { key_aliases: ['custom-one', 'nobody'] });
    expect(partial.status).toBe(404);
    expect((await admin(urls[0]!, 'GET', `/key/info?key=${custom}`)).status).toBe(200);
    expect((await admin(urls[0]!, 'POST', '/key/delete', { key_aliases: ['custom-one'] })).status).toBe(200);
    expect((await admin(urls[0]!, 'GET', `/key/info?key=${custom}`)).status).toBe(404);
  });

  it('keys management: only the master key manages keys; a virtual key is refused', async () => {
    const { body } = await admin(urls[0]!, 'POST', '/key/generate', {});
    await awaitStatus(urls[0]!, body.key, 'model-a', 200);
    const refused = await admin(urls[0]!, 'POST', '/key/generate', {}, body.key);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({ type: 'auth_error', code: '401' });
    // As in LiteLLM, a key may read its own info, and only its own.
    const own = await admin(urls[0]!, 'GET', '/key/info', undefined, body.key);
    expect(own).toMatchObject({ status: 200, body: { key: body.token, info: { key_name: body.key_name } } });
    const other = await admin(urls[0]!, 'POST', '/key/generate', {});
    expect((await admin(urls[0]!, 'GET', `/key/info?key=${other.body.token}`, undefined, body.key)).status).toBe(401);
    expect((await admin(urls[0]!, 'GET', '/key/list', undefined, body.key)).status).toBe(401);
    expect((await admin(urls[0]!, 'GET', '/key/list', undefined, 'sk-wrong')).status).toBe(401);
  });

  it('keys management: teams with their own models and limits; a team key, team info and list, delete takes its keys', async () => {
    const team = await admin(urls[0]!, 'POST', '/team/new', { team_alias: 'research', models: ['model-a', 'model-b'], rpm_limit: 100, tpm_limit: 10000, max_budget: 50, budget_duration: '30d' });
    expect(team.status).toBe(200);
    expect(team.body).toMatchObject({ team_alias: 'research', models: ['model-a', 'model-b'], rpm_limit: 100, tpm_limit: 10000, max_budget: 50, budget_duration: '30d', spend: 0, blocked: false });
    const teamId = team.body.team_id as string;
    expect(teamId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(team.body.budget_reset_at)).toBeGreaterThan(Date.now());

    const key = await admin(urls[0]!, 'POST', '/key/generate', { team_id: teamId, models: ['all-team-models'] });
    expect(key.body.team_id).toBe(teamId);
    await awaitStatus(urls[1]!, key.body.key, 'model-b', 200);
    const denied = await awaitStatus(urls[1]!, key.body.key, 'model-c', 401);
    expect(denied.error).toMatchObject({ type: 'key_model_access_denied', param: 'model', code: '401' });

    const info = await admin(urls[1]!, 'GET', `/team/info?team_id=${teamId}`);
    expect(info.body).toMatchObject({ team_id: teamId, team_info: { team_alias: 'research' }, team_memberships: [] });
    expect(info.body.keys.map((entry: { token: string }) => entry.token)).toEqual([key.body.token]);
    const list = await admin(urls[0]!, 'GET', '/team/list');
    expect(list.body.map((entry: { team_id: string }) => entry.team_id)).toContain(teamId);

    const updated = await admin(urls[0]!, 'POST', '/team/update', { team_id: teamId, models: ['model-c'] });
    expect(updated.body).toMatchObject({ team_id: teamId, data: { models: ['model-c'] } });
    await awaitStatus(urls[1]!, key.body.key, 'model-c', 200);

    expect((await admin(urls[0]!, 'POST', '/team/update', { team_id: 'nope', models: [] })).status).toBe(404);
    expect((await admin(urls[0]!, 'POST', '/team/delete', { team_ids: [teamId] })).body).toEqual({ deleted_teams: [teamId] });
    await awaitStatus(urls[1]!, key.body.key, 'model-c', 401);
    expect((await admin(urls[0]!, 'GET', `/key/info?key=${key.body.token}`)).status).toBe(404);
    expect((await admin(urls[0]!, 'GET', `/team/info?team_id=${teamId}`)).status).toBe(404);
  });

  it('keys management: a blocked team refuses its keys', async () => {
    const team = await admin(urls[0]!, 'POST', '/team/new', { team_id: 'team-block-test' });
    const key = await admin(urls[0]!, 'POST', '/key/generate', { team_id: team.body.team_id });
    await awaitStatus(urls[0]!, key.body.key, 'model-a', 200);
    expect((await admin(urls[0]!, 'POST', '/team/block', { team_id: 'team-block-test' })).body.blocked).toBe(true);
    const refusal = await awaitStatus(urls[1]!, key.body.key, 'model-a', 401);
    expect(refusal.error.message).toBe("Authentication Error, Team=team-block-test is blocked. Update via `/team/unblock` if you're an admin.");
  });

  it('keys management: the master key still works for everything, and /readyz is true once the keys are loaded', async () => {
    expect((await chatWith(urls[0]!, MASTER_KEY, 'model-c')).status).toBe(200);
    const ready = await fetch(`${urls[1]}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.keys).toBe('ok');
  });
});
