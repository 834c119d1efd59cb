import { createServer } from 'node:net';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '@switchyard/config';
import { createProviderClient } from './client.js';
import { ProviderStreamError, type FailureResponse, type ProviderCall, type ProviderResponse, type StreamEvent } from './types.js';
import { collect, deployment, startServer, TEST_KEY, type TestServer } from '../test/fixtures.js';

const USAGE = { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 };
const COMPLETION = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }], usage: USAGE });
const sse = (data: string) => `data: ${data}\n\n`;
const contentChunk = (text: string) => JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: text } }] });

function json(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
}

// One server for the suite; each deployment picks its behaviour with a header.
const scenarios: Record<string, (res: ServerResponse) => void> = {
  ok: (res) => json(res, 200, COMPLETION),
  e500: (res) => json(res, 500, JSON.stringify({ error: { message: 'The server had an error', type: 'server_error', param: null, code: null } })),
  e429: (res) => json(res, 429, JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } }), { 'retry-after': '12' }),
  e401: (res) => json(res, 401, JSON.stringify({ error: { message: `Incorrect API key provided: ${TEST_KEY}`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } })),
  e404: (res) => json(res, 404, JSON.stringify({ error: { message: 'The model does not exist', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } })),
  garbage: (res) => json(res, 200, '{"id": "chatcmpl-1", "choices": [tru'),
  slow: (res) => setTimeout(() => json(res, 200, COMPLETION), 1_000),
  stream: (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(sse(contentChunk('Hello')));
    res.write(sse(contentChunk(' world')));
    res.write(sse(JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [], usage: USAGE })));
    res.end(sse('[DONE]'));
  },
  streamCut: (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(sse(contentChunk('Hello')));
    res.write(`data: ${contentChunk(' wor')}`.slice(0, 30), () => setTimeout(() => res.socket?.destroy(), 20));
  },
  streamStall: (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(sse(contentChunk('Hello')));
  },
  streamAsJson: (res) => json(res, 200, COMPLETION),
};

let server: TestServer;
let closedPortUrl: string;
const client = createProviderClient({ connectionsPerOrigin: 4, keepAliveTimeoutMs: 5_000 });

beforeAll(async () => {
  server = await startServer((req, res) => {
    const scenario = scenarios[String(req.headers['x-scenario'] ?? 'ok')];
    scenario?.(res);
  });
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  closedPortUrl = `http://127.0.0.1:${port}/v1`;
});

afterAll(async () => {
  await client.close();
  await server.close();
});

function at(scenario: string, overrides: Partial<Deployment> = {}): Deployment {
  return deployment({ apiBase: server.url, extraHeaders: { 'x-scenario': scenario }, ...overrides });
}

function call(d: Deployment, extra: Partial<ProviderCall> = {}): Promise<ProviderResponse> {
  return client.send({ deployment: d, endpoint: 'chat.completions', body: { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }, stream: false, wantUsage: false, ...extra });
}

function expectFailure(res: ProviderResponse): FailureResponse {
  if (res.kind !== 'failure') throw new Error(`expected a failure, got ${res.kind}`);
  return res;
}

async function streamOf(res: ProviderResponse): Promise<AsyncIterable<StreamEvent>> {
  if (res.kind !== 'stream') throw new Error(`expected a stream, got ${JSON.stringify(res)}`);
  return res.events;
}

describe('providers client: success', () => {
  it('providers client: relays a JSON body byte for byte with its usage', async () => {
    const res = await call(at('ok'));
    expect(res).toMatchObject({ kind: 'json', status: 200, contentType: 'application/json', usage: USAGE });
    if (res.kind === 'json') expect(res.body.toString()).toBe(COMPLETION);
    const sent = server.requests.at(-1);
    expect(sent?.url).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe(`Bearer ${TEST_KEY}`);
    expect(JSON.parse(sent?.body ?? '{}').model).toBe('gpt-4o-mini');
  });

  it('providers client: reuses pooled keep-alive connections', async () => {
    const before = server.connections;
    for (let i = 0; i < 5; i++) expect((await call(at('ok'))).kind).toBe('json');
    expect(server.connections - before).toBeLessThanOrEqual(1);
  });

  it('providers client: streams events, asks for usage upstream and marks the usage-only chunk', async () => {
    const events = await collect(await streamOf(await call(at('stream'), { stream: true })));
    expect(events.map((e) => e.usageOnly)).toEqual([false, false, true, false]);
    expect(events[2]?.usage).toEqual(USAGE);
    expect(events.at(-1)?.data).toBe('[DONE]');
    const sent = JSON.parse(server.requests.at(-1)?.body ?? '{}');
    expect(sent).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('providers client: a consumer that stops early frees the connection', async () => {
    for await (const event of await streamOf(await call(at('stream'), { stream: true }))) {
      expect(event.data).toContain('Hello');
      break;
    }
    expect((await call(at('ok'))).kind).toBe('json');
  });
});

describe('providers client: failures', () => {
  it('providers client: provider 500 is a definite, retryable 502', async () => {
    const f = expectFailure(await call(at('e500')));
    expect(f).toMatchObject({ status: 502, providerStatus: 500, outcome: 'provider_error', definite: true, retryable: true });
    expect(f.error.error.message).toBe('The server had an error');
  });

  it('providers client: provider 429 keeps its status and Retry-After', async () => {
    const f = expectFailure(await call(at('e429')));
    expect(f).toMatchObject({ status: 429, definite: true, retryable: true, retryAfterSeconds: 12 });
    expect(f.error.error.code).toBe('rate_limit_exceeded');
  });

  it('providers client: provider 404 reaches the client as is and is not retryable', async () => {
    const f = expectFailure(await call(at('e404')));
    expect(f).toMatchObject({ status: 404, definite: true, retryable: false });
    expect(f.error.error).toMatchObject({ param: 'model', code: 'model_not_found' });
  });

  it('providers client: provider 401 becomes a 502 about the gateway credentials', async () => {
    const f = expectFailure(await call(at('e401')));
    expect(f).toMatchObject({ status: 502, providerStatus: 401, definite: true });
    expect(f.error.error.message).toBe(`the provider rejected the gateway's credentials for deployment gpt-test/abc123 (HTTP 401)`);
  });

  it('providers client: invalid JSON on a 2xx is an indefinite invalid_response', async () => {
    expect(expectFailure(await call(at('garbage')))).toMatchObject({ status: 502, outcome: 'invalid_response', definite: false });
  });

  it('providers client: a JSON answer to a stream request is an invalid_response', async () => {
    expect(expectFailure(await call(at('streamAsJson'), { stream: true }))).toMatchObject({ outcome: 'invalid_response', definite: false });
  });

  it('providers client: a slow provider times out after the deployment timeout, indefinitely', async () => {
    const started = Date.now();
    const f = expectFailure(await call(at('slow', { timeoutMs: 150 })));
    expect(f).toMatchObject({ status: 504, outcome: 'timeout', definite: false, retryable: false });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('providers client: a refused connection is a definite connection_error', async () => {
    const f = expectFailure(await call(deployment({ apiBase: closedPortUrl })));
    expect(f).toMatchObject({ status: 502, outcome: 'connection_error', definite: true, retryable: true });
    expect(f.error.error.message).toContain('ECONNREFUSED');
  });

  it('providers client: a missing key fails before any call, naming the variable', async () => {
    const before = server.requests.length;
    const f = expectFailure(await call(at('ok', { apiKey: null, apiKeyEnv: 'OPENAI_API_KEY' })));
    expect(f).toMatchObject({ status: 502, definite: true, error: { error: { code: 'deployment_misconfigured' } } });
    expect(f.error.error.message).toContain('OPENAI_API_KEY');
    expect(server.requests.length).toBe(before);
  });

  it('providers client: cancelling is indefinite once sent, definite before', async () => {
    const controller = new AbortController();
    const pending = call(at('slow'), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(expectFailure(await pending)).toMatchObject({ outcome: 'cancelled', definite: false });
    expect(expectFailure(await call(at('ok'), { signal: AbortSignal.abort() }))).toMatchObject({ outcome: 'cancelled', definite: true });
  });

  it('providers client: a stream cut halfway throws ProviderStreamError after the events before it', async () => {
    const seen: string[] = [];
    const error = await (async () => {
      try {
        for await (const event of await streamOf(await call(at('streamCut'), { stream: true }))) seen.push(event.data);
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(seen).toEqual([contentChunk('Hello')]);
    expect(error).toBeInstanceOf(ProviderStreamError);
    expect(error).toMatchObject({ outcome: 'connection_error', definite: false, deploymentId: 'gpt-test/abc123' });
  });

  it('providers client: a stream that goes silent times out mid-stream', async () => {
    const events = await streamOf(await call(at('streamStall', { streamTimeoutMs: 150 }), { stream: true }));
    await expect(collect(events)).rejects.toMatchObject({ name: 'ProviderStreamError', outcome: 'timeout' });
  });
});

describe('providers client: secrets', () => {
  it('providers client: the api key appears in no failure and no stream error', async () => {
    const outputs: string[] = [];
    for (const scenario of ['e500', 'e429', 'e401', 'e404', 'garbage']) {
      outputs.push(JSON.stringify(await call(at(scenario))));
    }
    outputs.push(JSON.stringify(await call(at('slow', { timeoutMs: 50 }))));
    outputs.push(JSON.stringify(await call(deployment({ apiBase: closedPortUrl }))));
    outputs.push(JSON.stringify(await call(at('ok', { apiKey: null, apiKeyEnv: 'OPENAI_API_KEY' }))));
    outputs.push(JSON.stringify(await call(deployment({ provider: 'azure', apiBase: server.url, extraHeaders: { 'x-scenario': 'e401' } }))));
    try {
      await collect(await streamOf(await call(at('streamCut'), { stream: true })));
    } catch (err) {
      outputs.push(String(err), (err as Error).stack ?? '', JSON.stringify(err));
    }
    expect(outputs.length).toBeGreaterThan(9);
    for (const output of outputs) {
      expect(output).not.toContain(TEST_KEY);
      expect(output).not.toContain('SECRET');
    }
  });
});
