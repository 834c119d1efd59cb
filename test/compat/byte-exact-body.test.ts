import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';
import { manyModelsConfig, post, PROVIDER_KEY_ENV } from '../request-path/fixtures.js';

/**
 * What the client wrote is what the provider reads: the gateway changes the
 * model name, adds the defaults the client did not set and asks for stream
 * usage, and touches nothing else. Numbers a JavaScript parse would round
 * (`seed` above 2^53, a float with more digits than a double holds) are
 * sent as raw text, since no JSON-speaking client can produce them.
 */

const SEED = '12345678901234567';
const FLOAT = '0.1000000000000000055511151231257827';

describe('compat: the body reaches the provider byte for byte', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let url: string;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: manyModelsConfig(mock.url, { modelParams: { 4: { max_tokens: 77 } }, maxRequestBodyBytes: 8 * 1024 * 1024 }),
      env: PROVIDER_KEY_ENV,
    });
    url = stack.ingressUrls[0]!;
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  async function sent(text: string): Promise<string> {
    const response = await post(url, '/v1/chat/completions', text);
    expect(response.status).toBe(200);
    await response.text();
    expect(mock.calls).toBe(1);
    return mock.requests.at(-1)!.text;
  }

  it('compat: a seed above 2^53 and a long float arrive as written; only the model changes', async () => {
    const text = `{ "model": "model-0",\n  "messages": [{"role": "user", "content": "caf\\u00e9 \u00e9"}],\n  "seed": ${SEED}, "temperature": ${FLOAT}, "top_p": 1.0, "n": 1e0 }`;

    expect(await sent(text)).toBe(text.replace('"model": "model-0"', '"model": "provider-model-0"'));
  });

  it("compat: a deployment's max_tokens default is added after the client's text, and not when it sent max_completion_tokens", async () => {
    const plain = `{"model":"model-4","messages":[{"role":"user","content":"hi"}],"seed":${SEED}}`;
    expect(await sent(plain)).toBe(`{"model":"provider-model-4","messages":[{"role":"user","content":"hi"}],"seed":${SEED},"max_tokens":77}`);

    mock.reset();
    const reasoning = `{"model":"model-4","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":50}`;
    expect(await sent(reasoning)).toBe(reasoning.replace('"model-4"', '"provider-model-4"'));
  });

  it('compat: a stream asks the provider for usage inside the body the client wrote', async () => {
    const text = `{"model":"model-1","messages":[{"role":"user","content":"hi"}],"stream":true,"seed":${SEED}}`;

    expect(await sent(text)).toBe(`{"model":"provider-model-1","messages":[{"role":"user","content":"hi"}],"stream":true,"seed":${SEED},"stream_options":{"include_usage":true}}`);
  });

  it('compat: a body larger than a bus message (through the object store) arrives byte for byte too', async () => {
    const content = 'x'.repeat(1_500_000);
    const text = `{"model":"model-2","messages":[{"role":"user","content":"${content}"}],"seed":${SEED},"temperature":${FLOAT}}`;

    expect(await sent(text)).toBe(text.replace('"model-2"', '"provider-model-2"'));
  });
});
