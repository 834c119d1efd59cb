import { lookup as systemLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderClient } from './client.js';
import { HostMap } from './host.js';
import { deployment, startServer, type TestServer } from '../test/fixtures.js';

const COMPLETION = JSON.stringify({ id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }] });

// Names only DNS or /etc/hosts would know, mapped to the local test server by
// the client's injectable lookup: no name here is resolvable on this machine.
const NAMES = ['nomic-embed-v1.5', 'qwen2.5', 'vllm-0.5.svc.cluster.local'];
const looked: string[] = [];
const testLookup = ((hostname: string, options: unknown, callback: (...args: unknown[]) => void) => {
  looked.push(hostname);
  if (!NAMES.includes(hostname)) return (systemLookup as unknown as (...args: unknown[]) => void)(hostname, options, callback);
  const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true;
  return all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4);
}) as unknown as LookupFunction;

let server: TestServer;
const client = createProviderClient({ lookup: testLookup });

beforeAll(async () => {
  server = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(COMPLETION);
  });
});

afterAll(async () => {
  await client.close();
  await server.close();
});

describe('providers: hosts the WHATWG parser refuses', () => {
  it('providers: such a URL is refused by URL, which is why the client maps it', () => {
    expect(() => new URL('http://nomic-embed-v1.5:8080/v1')).toThrow();
  });

  it.each(NAMES)('providers: a call to %s reaches the server, with the real Host header', async (name) => {
    const port = new URL(server.url).port;
    const before = server.requests.length;
    const res = await client.send({
      deployment: deployment({ provider: 'hosted_vllm', apiBase: `http://${name}:${port}/v1`, apiKey: null }),
      endpoint: 'chat.completions',
      body: { model: 'x', messages: [{ role: 'user', content: 'hi' }] },
      stream: false,
      wantUsage: false,
    });
    expect(res.kind).toBe('json');
    expect(server.requests.length).toBe(before + 1);
    const received = server.requests.at(-1)!;
    expect(received.headers.host).toBe(`${name}:${port}`);
    expect(received.url).toBe('/v1/chat/completions');
    expect(looked).toContain(name);
  });

  it('providers: ordinary URLs pass through unchanged; a placeholder is stable per host and never a real domain', () => {
    const hosts = new HostMap();
    expect(hosts.dispatchable('https://api.openai.com/v1/chat/completions')).toEqual({ url: 'https://api.openai.com/v1/chat/completions', host: null });
    const first = hosts.dispatchable('https://qwen2.5:8443/v1/embeddings?x=1');
    expect(first.host).toBe('qwen2.5:8443');
    expect(new URL(first.url).hostname).toMatch(/\.switchyard-host\.invalid$/);
    expect(new URL(first.url).pathname + new URL(first.url).search).toBe('/v1/embeddings?x=1');
    expect(hosts.dispatchable('http://qwen2.5/v1').url.split('/')[2]).toBe(new URL(first.url).hostname);
    expect(hosts.realHost(new URL(first.url).hostname)).toBe('qwen2.5');
  });
});
