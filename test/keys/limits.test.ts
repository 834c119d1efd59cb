import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { admin, awaitStatus, chatWith, keysConfig, PROVIDER_KEY_ENV } from './fixtures.js';

/**
 * A key's and a team's rpm, tpm and parallel limits hold for the whole
 * cluster: counted in Redis with the deployment's limits in one step,
 * whichever of two ingress and two limiter replicas a request reaches.
 */
describe('keys limits: per-key and per-team limits for the whole cluster', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let urls: string[];

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({ servers: inject('servers'), config: keysConfig(mock.url), env: PROVIDER_KEY_ENV, scale: { ingress: 2, limiter: 2 } });
    urls = stack.ingressUrls;
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  it('keys limits: a key with rpm_limit 4 gets 4 answers across both replicas, then LiteLLM 429s on each; nothing more reaches the provider', async () => {
    const { body } = await admin(urls[0]!, 'POST', '/key/generate', { rpm_limit: 4, key_alias: 'rpm-four' });
    for (const url of urls) await awaitStatus(url, body.key, 'no-such-model', 404);
    // maxRetries 0: the SDK would otherwise wait out retry-after (up to a minute) and retry a refusal the test is about.
    const clients = urls.map((url) => new OpenAI({ apiKey: body.key, baseURL: `${url}/v1`, maxRetries: 0 }));
    const first = await clients[0]!.chat.completions.create({ model: 'model-a', messages: [{ role: 'user', content: 'one' }] }).withResponse();
    expect(first.response.headers.get('x-ratelimit-api_key-limit-requests')).toBe('4');
    expect(first.response.headers.get('x-ratelimit-api_key-remaining-requests')).toBe('3');
    for (const index of [1, 0, 1]) {
      await clients[index]!.chat.completions.create({ model: index === 0 ? 'model-a' : 'model-b', messages: [{ role: 'user', content: 'more' }] });
    }
    expect(mock.calls).toBe(4);
    for (const client of clients) {
      const error = await client.chat.completions.create({ model: 'model-c', messages: [{ role: 'user', content: 'over' }] }).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      const rateLimited = error as InstanceType<typeof OpenAI.RateLimitError>;
      expect(rateLimited.message).toMatch(new RegExp(`^429 Rate limit exceeded for api_key: ${body.token}\\. Limit type: requests\\. Current limit: 4, Remaining: 0\\. Limit resets at: `));
      expect(rateLimited.headers?.get('retry-after')).toMatch(/^\d+$/);
      expect(rateLimited.headers?.get('rate_limit_type')).toBe('requests');
      expect(rateLimited.headers?.get('x-ratelimit-api_key-remaining-requests')).toBe('0');
    }
    expect(mock.calls).toBe(4);
    // Another key is not held back by this one.
    const other = await admin(urls[1]!, 'POST', '/key/generate', {});
    expect((await awaitStatus(urls[1]!, other.body.key, 'model-a', 200)).object).toBe('chat.completion');
  });

  it('keys limits: a team tpm_limit is shared by its keys across replicas', async () => {
    const team = await admin(urls[0]!, 'POST', '/team/new', { tpm_limit: 300, team_alias: 'tpm-team' });
    const keyA = await admin(urls[0]!, 'POST', '/key/generate', { team_id: team.body.team_id });
    const keyB = await admin(urls[1]!, 'POST', '/key/generate', { team_id: team.body.team_id });
    await awaitStatus(urls[0]!, keyA.body.key, 'no-such-model', 404);
    await awaitStatus(urls[1]!, keyB.body.key, 'no-such-model', 404);
    // Two calls in flight reserve their prompt and max_tokens each (about 110 of the 300); a third does not fit.
    mock.behave('*', { latencyMs: 1_500 });
    const inFlight = [chatWith(urls[0]!, keyA.body.key, 'model-a', { max_tokens: 100 }), chatWith(urls[1]!, keyB.body.key, 'model-b', { max_tokens: 100 })];
    await mock.waitForCalls(2);
    const third = await chatWith(urls[1]!, keyB.body.key, 'model-c', { max_tokens: 100 });
    expect(third.status).toBe(429);
    const refusal = (await third.json()) as { error: { message: string; type: string } };
    expect(refusal.error.message).toMatch(new RegExp(`^Rate limit exceeded for team: ${team.body.team_id}\\. Limit type: tokens\\. Current limit: 300, Remaining: 0\\.`));
    expect(third.headers.get('x-ratelimit-team-limit-tokens')).toBe('300');
    expect((await Promise.all(inFlight)).map((response) => response.status)).toEqual([200, 200]);
    expect(mock.calls).toBe(2);
  });

  it('keys limits: max_parallel_requests of a key counts calls in flight on every replica, and frees its slot when a call ends', async () => {
    const { body } = await admin(urls[0]!, 'POST', '/key/generate', { max_parallel_requests: 1 });
    for (const url of urls) await awaitStatus(url, body.key, 'no-such-model', 404);
    mock.behave('*', { latencyMs: 1_000 });
    const slow = chatWith(urls[0]!, body.key, 'model-a');
    await mock.waitForCalls(1);
    const second = await chatWith(urls[1]!, body.key, 'model-a');
    expect(second.status).toBe(429);
    expect(((await second.json()) as { error: { message: string } }).error.message).toContain('Limit type: max_parallel_requests. Current limit: 1');
    expect((await slow).status).toBe(200);
    mock.behave('*', { latencyMs: 0 });
    await awaitStatus(urls[1]!, body.key, 'model-a', 200);
  });

  it('keys limits: settlement corrects the key scope to the real usage, as it does the deployment scope', async () => {
    // Each call reserves its prompt and max_tokens (about 110 of 300) but uses far fewer: without settlement
    // of the key's scope the third call would wait a whole minute; with it, six calls in a row go through.
    const { body } = await admin(urls[0]!, 'POST', '/key/generate', { tpm_limit: 300 });
    await awaitStatus(urls[0]!, body.key, 'no-such-model', 404);
    let remaining: string | null = null;
    for (let call = 0; call < 6; call++) {
      const url = urls[call % 2]!;
      for (let tries = 0; ; tries++) {
        const response = await chatWith(url, body.key, 'model-a', { max_tokens: 100 });
        await response.arrayBuffer();
        if (response.status === 200) {
          remaining = response.headers.get('x-ratelimit-api_key-remaining-tokens');
          break;
        }
        expect(response.status).toBe(429);
        expect(tries).toBeLessThan(100);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    expect(mock.calls).toBe(6);
    expect(Number(remaining)).toBeLessThan(300);
  });

  it('keys limits: update changes the limits every replica enforces', async () => {
    const { body } = await admin(urls[0]!, 'POST', '/key/generate', { rpm_limit: 1 });
    await awaitStatus(urls[0]!, body.key, 'model-a', 200);
    await awaitStatus(urls[1]!, body.key, 'model-a', 429);
    await admin(urls[1]!, 'POST', '/key/update', { key: body.key, rpm_limit: 10 });
    const answer = await awaitStatus(urls[1]!, body.key, 'model-a', 200);
    expect(answer.object).toBe('chat.completion');
    await awaitStatus(urls[0]!, body.key, 'model-a', 200);
  });
});
