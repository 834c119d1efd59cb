import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { wallClockMs } from '../clock.js';

/*
 * The benchmark's model provider: an OpenAI-compatible chat endpoint on plain
 * node:http, in a process of its own, doing nothing per request beyond
 * reading the body, counting, waiting the configured latency and writing a
 * prebuilt answer. Streamed chunks carry the time they were written
 * (`t=<wall-clock ms>;` in their content), so a client can tell how long each
 * chunk spent in a gateway.
 *
 * Control endpoints, for the benchmark only: POST /__bench/behaviour,
 * GET /__bench/stats, POST /__bench/reset, GET /__bench/clock.
 */

export interface MockBehaviour {
  /** Delay before the response (or the first streamed chunk). */
  latencyMs: number;
  /** Content chunks of a streamed reply. */
  streamChunks: number;
  /** Time between two streamed chunks, kept against the stream's start (no drift). */
  chunkGapMs: number;
}

export interface MockStats {
  /** Chat completion calls received since the last reset. */
  calls: number;
  /** Calls received whose response has not finished. */
  inFlight: number;
}

export const DEFAULT_BEHAVIOUR: MockBehaviour = { latencyMs: 0, streamChunks: 5, chunkGapMs: 0 };

const REPLY = 'Hello! How can I help you today?';
const USAGE = '{"prompt_tokens":21,"completion_tokens":9,"total_tokens":30}';
/** The marker a streamed chunk's content starts with; the number is the wall-clock ms it was written. */
export const STAMP_PATTERN = /t=(\d+\.\d+);/g;

const CHAT_PATHS = new Set(['/v1/chat/completions', '/chat/completions']);

export async function startMockServer(port: number, host = '127.0.0.1'): Promise<{ port: number; server: Server }> {
  let behaviour: MockBehaviour = { ...DEFAULT_BEHAVIOUR };
  let calls = 0;
  let inFlight = 0;
  let sequence = 0;

  function json(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  function completion(model: string): string {
    const created = Math.floor(Date.now() / 1000);
    return (
      `{"id":"chatcmpl-bench${++sequence}","object":"chat.completion","created":${created},"model":${model},` +
      `"choices":[{"index":0,"message":{"role":"assistant","content":"${REPLY}","refusal":null},"logprobs":null,"finish_reason":"stop"}],` +
      `"usage":${USAGE}}`
    );
  }

  function stream(res: ServerResponse, model: string, includeUsage: boolean, b: MockBehaviour, done: () => void): void {
    const id = `chatcmpl-bench${++sequence}`;
    const head = `{"id":"${id}","object":"chat.completion.chunk","created":${Math.floor(Date.now() / 1000)},"model":${model},"choices":[{"index":0,`;
    const usageField = includeUsage ? ',"usage":null' : '';
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const start = performance.now();
    let index = 0;
    let timer: NodeJS.Timeout | null = null;
    res.once('close', () => {
      if (timer) clearTimeout(timer);
      done();
    });
    const send = (): void => {
      timer = null;
      if (res.destroyed) return;
      if (index < b.streamChunks) {
        const delta = index === 0 ? '{"role":"assistant","content":"' : '{"content":"';
        res.write(`data: ${head}"delta":${delta}t=${wallClockMs().toFixed(3)}; ","logprobs":null,"finish_reason":null}]${usageField}}\n\n`);
        index += 1;
        const wait = start + index * b.chunkGapMs - performance.now();
        if (index < b.streamChunks && wait > 0) timer = setTimeout(send, wait);
        else send();
        return;
      }
      let tail = `data: ${head}"delta":{},"logprobs":null,"finish_reason":"stop"}]${usageField}}\n\n`;
      if (includeUsage) tail += `data: {"id":"${id}","object":"chat.completion.chunk","created":0,"model":${model},"choices":[],"usage":${USAGE}}\n\n`;
      res.end(`${tail}data: [DONE]\n\n`);
    };
    send();
  }

  function chat(req: IncomingMessage, res: ServerResponse, raw: string): void {
    let body: { model?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown } | null };
    try {
      body = JSON.parse(raw) as typeof body;
    } catch {
      return json(res, 400, '{"error":{"message":"bad JSON","type":"invalid_request_error","param":null,"code":null}}');
    }
    calls += 1;
    inFlight += 1;
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      inFlight -= 1;
    };
    const model = JSON.stringify(typeof body.model === 'string' ? body.model : 'bench-model');
    const b = behaviour;
    const answer = (): void => {
      if (res.destroyed) return done();
      if (body.stream === true) return stream(res, model, body.stream_options?.include_usage === true, b, done);
      json(res, 200, completion(model));
      done();
    };
    res.once('close', done);
    if (b.latencyMs > 0) setTimeout(answer, b.latencyMs);
    else answer();
  }

  function control(req: IncomingMessage, res: ServerResponse, path: string, raw: string): void {
    if (path === '/__bench/stats') return json(res, 200, JSON.stringify({ calls, inFlight } satisfies MockStats));
    if (path === '/__bench/clock') return json(res, 200, JSON.stringify({ now: wallClockMs() }));
    if (path === '/__bench/reset' && req.method === 'POST') {
      calls = 0;
      return json(res, 200, '{}');
    }
    if (path === '/__bench/behaviour' && req.method === 'POST') {
      behaviour = { ...behaviour, ...(JSON.parse(raw) as Partial<MockBehaviour>) };
      return json(res, 200, JSON.stringify(behaviour));
    }
    if (path === '/v1/models') return json(res, 200, '{"object":"list","data":[{"id":"bench-model","object":"model","created":0,"owned_by":"bench"}]}');
    json(res, 404, '{"error":{"message":"unknown route","type":"invalid_request_error","param":null,"code":"unknown_url"}}');
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?', 1)[0]!;
      if (req.method === 'POST' && CHAT_PATHS.has(path)) chat(req, res, raw);
      else control(req, res, path, raw);
    });
  });
  // Longer than any client's idle time: a pooled socket is never closed under a client.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, server };
}
