import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { PROVIDER_KEY_ENV } from '../request-path/fixtures.js';

/**
 * The official SDKs retry 408, 409, 429 and 5xx twice by default, unless the
 * answer says `x-should-retry: false`. At its default settings, one
 * `create()` must cost one provider call however the provider fails, while
 * the gateway's own refusals (nothing was sent) stay retryable.
 */

function config(mockUrl: string): string {
  const entry = (name: string, extra = '') => `  - model_name: ${name}
    litellm_params:
      model: openai/${name}-model
      api_base: ${mockUrl}
      api_key: os.environ/MOCK_PROVIDER_KEY${extra}`;
  return `model_list:
${entry('slow', '\n      timeout: 0.3')}
${entry('failing')}
${entry('limited', '\n      rpm: 1')}
router_settings:
  num_retries: 0
`;
}

/** An SDK at its default settings (maxRetries 2), whose HTTP requests are counted. */
function countingClient(baseURL: string): { client: OpenAI; requests: () => number } {
  let requests = 0;
  const client = new OpenAI({
    apiKey: 'sk-unused',
    baseURL,
    fetch: (input, init) => {
      requests += 1;
      return fetch(input, init);
    },
  });
  return { client, requests: () => requests };
}

async function failureOf(call: () => Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call();
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}

const hello = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'hi' }] });

describe('compat: the official SDK at its default retry settings', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let baseURL: string;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: config(mock.url),
      env: PROVIDER_KEY_ENV,
      // A two-second window: the limiter's Retry-After is at most the window and one bucket, rounded up.
      limiterWindow: { windowMs: 2_000, bucketMs: 100 },
    });
    baseURL = `${stack.ingressUrls[0]}/v1`;
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  it('compat: a provider slower than the deployment timeout gets one call per create() (504, x-should-retry: false)', async () => {
    mock.behave('slow-model', { latencyMs: 1_500 });
    const { client, requests } = countingClient(baseURL);

    const error = await failureOf(() => client.chat.completions.create(hello('slow')));

    expect(mock.callsByModel()).toEqual({ 'slow-model': 1 });
    expect(requests()).toBe(1);
    expect(error.status).toBe(504);
    expect(error.headers?.get('x-should-retry')).toBe('false');
  });

  it('compat: a provider answering 500 gets one call per create() (502, x-should-retry: false)', async () => {
    mock.behave('failing-model', { status: 500 });
    const { client, requests } = countingClient(baseURL);

    const error = await failureOf(() => client.chat.completions.create(hello('failing')));

    expect(mock.callsByModel()).toEqual({ 'failing-model': 1 });
    expect(requests()).toBe(1);
    expect(error.status).toBe(502);
    expect(error.headers?.get('x-should-retry')).toBe('false');
  });

  it("compat: the limiter's own 429 is retried by the SDK after Retry-After, and then served with one call", async () => {
    const { client, requests } = countingClient(baseURL);
    await client.chat.completions.create(hello('limited'));
    expect(requests()).toBe(1);

    // rpm 1: the second create() is refused by the limiter, waits out Retry-After, and succeeds on the SDK's retry.
    const completion = await client.chat.completions.create(hello('limited'));

    expect(completion.object).toBe('chat.completion');
    expect(requests()).toBe(3);
    expect(mock.callsByModel()).toEqual({ 'limited-model': 2 });
  });

  it("compat: the limiter's 429 says x-should-retry: true and keeps its Retry-After", async () => {
    const { client } = countingClient(baseURL);
    const noRetries = client.withOptions({ maxRetries: 0 });
    // The window may still hold the previous test's requests; fill it, then read the refusal.
    let refusal: InstanceType<typeof OpenAI.APIError> | null = null;
    for (let i = 0; i < 3 && !refusal; i++) {
      try {
        await noRetries.chat.completions.create(hello('limited'));
      } catch (error) {
        if (!(error instanceof OpenAI.RateLimitError)) throw error;
        refusal = error;
      }
    }

    expect(refusal?.status).toBe(429);
    expect(refusal?.headers?.get('x-should-retry')).toBe('true');
    expect(Number(refusal?.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // At most the window plus its partly covered oldest bucket (2.1 s here), rounded up to whole seconds.
    expect(Number(refusal?.headers?.get('retry-after'))).toBeLessThanOrEqual(3);
  });
});

describe('compat: the SDK retries what never reached a provider', () => {
  let mock: MockProvider;
  let stack: InProcessStack;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: config(mock.url),
      env: PROVIDER_KEY_ENV,
      scale: { 'upstream-caller': 0 },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });

  it('compat: no upstream-caller running is a 503 the SDK retries twice (x-should-retry: true), calling nothing', async () => {
    const { client, requests } = countingClient(`${stack.ingressUrls[0]}/v1`);

    const error = await failureOf(() => client.chat.completions.create(hello('failing')));

    expect(error.status).toBe(503);
    expect(error.code).toBe('no_upstream_caller');
    expect(error.headers?.get('x-should-retry')).toBe('true');
    expect(requests()).toBe(3);
    expect(mock.calls).toBe(0);
  });
});
