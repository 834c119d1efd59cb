import { connect, type Socket } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';

/*
 * Input that a client or an operator controls and that used to break the
 * gateway after the provider had been called: Unicode model names going into
 * response headers, and clients that hold a connection by trickling bytes.
 */

const MASTER_KEY = 'sk-input-master';
const NAMES = ['模型', 'gpt-4o-✓'] as const;

function configYaml(mockUrl: string): string {
  const models = NAMES.map(
    (name, i) => `  - model_name: "${name}"
    litellm_params:
      model: openai/provider-unicode-${i}
      api_base: ${mockUrl}
      api_key: sk-provider-unicode
      rpm: 1000
      tpm: 1000000`,
  );
  return `model_list:
${models.join('\n')}
router_settings:
  model_group_alias:
    "别名": "模型"
general_settings:
  master_key: ${MASTER_KEY}
  request_headers_timeout_seconds: 0.5
  request_body_timeout_seconds: 1
`;
}

interface SocketEnd {
  /** Everything the server wrote before it closed. */
  received: string;
  /** Bytes of the request the client managed to send. */
  sent: number;
}

/**
 * Opens a raw socket, writes `head` at once, then one byte of `trickle` per
 * interval, until the server closes the connection (which the test awaits).
 */
function trickle(url: string, head: string, trickleBytes: string, intervalMs: number): Promise<SocketEnd> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname);
    let received = '';
    let sent = 0;
    let timer: NodeJS.Timeout | null = null;
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => (received += data));
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent < trickleBytes.length && !socket.destroyed) socket.write(trickleBytes[sent++]!);
      }, intervalMs);
    });
    socket.on('close', () => {
      if (timer) clearInterval(timer);
      if (sent >= trickleBytes.length) reject(new Error(`the whole request was sent and the server never closed: ${received}`));
      else resolve({ received, sent });
    });
  });
}

describe('security input: Unicode names and slow clients against the running stack', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let client: OpenAI;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({ servers: inject('servers'), config: configYaml(mock.url) });
    client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.ingressUrls[0]}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  it.each(NAMES)('security input: the SDK calls "%s" plainly and gets its answer, the deployment header decoding to the name', async (name) => {
    const { data, response } = await client.chat.completions
      .create({ model: name, messages: [{ role: 'user', content: 'héllo ✓' }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toContain('héllo ✓');
    const deployment = decodeURIComponent(response.headers.get('x-switchyard-deployment')!);
    expect(deployment).toBe(stack.config.groups.get(name)![0]!.id);
    expect(deployment.startsWith(`${name}/`)).toBe(true);
    expect(mock.calls).toBe(1);
  });

  it.each(NAMES)('security input: the SDK streams "%s" to its end, the deployment header decoding to the name', async (name) => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: name, messages: [{ role: 'user', content: 'count' }], stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toContain('count');
    expect(decodeURIComponent(response.headers.get('x-switchyard-deployment')!)).toBe(stack.config.groups.get(name)![0]!.id);
    expect(mock.calls).toBe(1);
  });

  it('security input: a Unicode alias resolves, and the metrics name the Unicode group', async () => {
    const completion = await client.chat.completions.create({ model: '别名', messages: [{ role: 'user', content: 'alias' }] });
    expect(completion.choices[0]!.message.content).toContain('alias');
    const metrics = await (await fetch(`${stack.ingressUrls[0]}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_http_requests_total\{[^}]*model="模型"[^}]*\} [1-9]/);
  });

  it('security input: a response that lasts longer than the body timeout is not cut (the timeout bounds receiving the request only)', async () => {
    // 4 chunks 500 ms apart: the stream lasts about 1.5 s, the body timeout is 1 s.
    mock.behave('provider-unicode-0', { reply: 'one two three four', streamChunks: 4, chunkDelayMs: 500 });
    const stream = await client.chat.completions.create({ model: NAMES[0], messages: [{ role: 'user', content: 'slow' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('one two three four');
  });

  it('security input: a body sent one byte at a time loses its connection with a 408 once the body timeout passes', async () => {
    const body = JSON.stringify({ model: NAMES[0], messages: [{ role: 'user', content: 'x'.repeat(200) }] });
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${MASTER_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    // 50 ms a byte: the whole body would take over 10 s, the configured body timeout is 1 s.
    const end = await trickle(stack.ingressUrls[0]!, head, body, 50);
    expect(end.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(end.sent).toBeLessThan(body.length);
    expect(mock.calls).toBe(0);
  });

  it('security input: headers sent one byte at a time lose their connection once the headers timeout passes', async () => {
    const head = `GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${'y'.repeat(400)}\r\n\r\n`;
    const end = await trickle(stack.ingressUrls[0]!, '', head, 20);
    expect(end.received === '' || /^HTTP\/1\.1 408 /.test(end.received)).toBe(true);
    expect(end.sent).toBeLessThan(head.length);
  });
});
