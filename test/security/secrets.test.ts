import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@switchyard/telemetry';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';

/*
 * A provider (or a proxy in front of it) that echoes the credentials it was
 * sent, in every place a provider's bytes can go: an error body, an SSE error
 * event, a response header, a 2xx body. Whatever it echoes, and in whatever
 * encoding, the client's bytes and the gateway's logs never hold a secret.
 */

const PROVIDER_KEY = 'sk-provider-echo-secret-4242';
const PROXY_USER_PASS = 'proxyuser:proxypass-7777';
const PROXY_HEADER = `Basic ${Buffer.from(PROXY_USER_PASS).toString('base64')}`;
const MASTER_KEY = 'sk-secrets-master-9191';

/** Every form of a secret this test looks for in what leaves the gateway. */
const LEAKS = [
  PROVIDER_KEY,
  'proxypass-7777',
  PROXY_USER_PASS,
  Buffer.from(PROXY_USER_PASS).toString('base64'),
  Buffer.from(PROVIDER_KEY).toString('base64').replace(/=+$/, ''),
  Buffer.from(`Bearer ${PROVIDER_KEY}`).toString('base64').slice(8, -2),
  MASTER_KEY,
];

/** The provider's echo of everything it was sent, in several encodings. */
const ECHO = `auth={{header:authorization}} proxy={{header:x-proxy-authorization}} b64=${Buffer.from(`Bearer ${PROVIDER_KEY}`).toString('base64')} url=${encodeURIComponent(`key=${PROVIDER_KEY}&x=1`)}`;

function configYaml(mockUrl: string): string {
  return `model_list:
  - model_name: leaky
    litellm_params:
      model: openai/leaky
      api_base: ${mockUrl}
      api_key: os.environ/LEAKY_KEY
      extra_headers:
        X-Proxy-Authorization: "${PROXY_HEADER}"
general_settings:
  master_key: ${MASTER_KEY}
`;
}

function expectNoSecret(what: string, text: string): void {
  for (const leak of LEAKS) expect(text.includes(leak), `${what} holds ${leak}`).toBe(false);
}

/** The whole response as the client received it: status line, headers and body. */
async function responseBytes(response: Response): Promise<string> {
  const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
  return `${response.status}\n${headers}\n\n${await response.text()}`;
}

describe('security secrets: what a provider echoes never reaches the client or the logs', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  const logLines: string[] = [];
  let onLine: (() => void) | null = null;
  const logs = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      onLine?.();
      done();
    },
  });
  /** The logs once the ingress has written the request's audit line (after the response, so awaited). */
  const logsOfRequest = (): Promise<string> =>
    new Promise((resolve) => {
      const check = () => {
        if (!logLines.some((line) => line.includes('"audit":true'))) return;
        onLine = null;
        resolve(logLines.join(''));
      };
      onLine = check;
      check();
    });

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: configYaml(mock.url),
      env: { LEAKY_KEY: PROVIDER_KEY },
      logger: createLogger({ service: 'test', level: 'debug', destination: logs }),
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => {
    mock.reset();
    logLines.length = 0;
  });

  async function call(body: Record<string, unknown>): Promise<string> {
    const response = await fetch(`${stack.ingressUrls[0]}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER_KEY}` },
      body: JSON.stringify({ model: 'leaky', messages: [{ role: 'user', content: 'hi' }], ...body }),
    });
    const bytes = await responseBytes(response);
    expect(mock.calls).toBe(1);
    // The provider really did receive (and echo) the credentials: the test would prove nothing otherwise.
    expect(mock.requests[0]!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(mock.requests[0]!.headers['x-proxy-authorization']).toBe(PROXY_HEADER);
    return bytes;
  }

  it.each([401, 400, 429, 503])('security secrets: a %i body echoing the credentials', async (status) => {
    mock.behave('leaky', { status, errorBody: { error: { message: ECHO, type: ECHO, param: ECHO, code: ECHO } } });
    const bytes = await call({});
    expect(bytes.startsWith(status === 400 || status === 429 ? String(status) : '502')).toBe(true);
    if (status === 400) expect(bytes).toContain('[redacted]');
    expectNoSecret('the response', bytes);
    expectNoSecret('the logs', await logsOfRequest());
  });

  it('security secrets: a plain-text error page echoing the credentials', async () => {
    mock.behave('leaky', { status: 400, errorBody: `<html>${ECHO}</html>` });
    const bytes = await call({});
    expectNoSecret('the response', bytes);
    expectNoSecret('the logs', await logsOfRequest());
  });

  it('security secrets: an SSE error event mid-stream echoing the credentials', async () => {
    mock.behave('leaky', { streamChunks: 2, streamError: { error: { message: ECHO, type: 'server_error', code: ECHO } } });
    const bytes = await call({ stream: true });
    expect(bytes).toContain('data: {"error"');
    expect(bytes).toContain('[redacted]');
    expectNoSecret('the stream', bytes);
    expectNoSecret('the logs', await logsOfRequest());
  });

  it('security secrets: ordinary stream frames and a 2xx body echoing the credentials', async () => {
    mock.behave('leaky', { reply: `echo ${ECHO}`, streamChunks: 4 });
    const streamed = await call({ stream: true });
    expect(streamed).toContain('data: [DONE]');
    expectNoSecret('the stream', streamed);
    mock.reset();
    mock.behave('leaky', { reply: `echo ${ECHO}` });
    const plain = await call({});
    expect(plain).toContain('[redacted]');
    expectNoSecret('the body', plain);
    expectNoSecret('the logs', await logsOfRequest());
  });

  it('security secrets: response headers echoing the credentials, on a success and on an error', async () => {
    mock.behave('leaky', { headers: { 'x-echo': ECHO, 'www-authenticate': 'Bearer realm="{{header:authorization}}"' } });
    expectNoSecret('the response', await call({}));
    mock.reset();
    mock.behave('leaky', { status: 429, retryAfter: 1, headers: { 'x-echo': ECHO } });
    expectNoSecret('the response', await call({}));
    expectNoSecret('the logs', await logsOfRequest());
  });
});
