import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createResponsesMock, ResponsesRefusal } from './mock-responses.js';

/*
 * The counting, OpenAI-compatible mock provider: the only mock in the
 * project. Cross-service tests point deployments at `url` and assert on
 * `calls` / `callsByModel()` to prove one client request makes exactly one
 * provider call. It sits on benchmark hot paths, so it is plain node:http
 * with no per-request work beyond parsing the body and answering.
 */

export interface MockProviderBehaviour {
  /** Delay before the response starts. */
  latencyMs: number;
  /** Answer with this status (>= 300) and `errorBody` instead of a completion. */
  status: number;
  /** Body of an error status; a string is sent as is, anything else as JSON. Default: OpenAI's for the status. */
  errorBody: unknown;
  /** `Retry-After` seconds sent with an error status. */
  retryAfter: number;
  /** Content chunks of a streamed reply. */
  streamChunks: number;
  /** Delay between streamed chunks. */
  chunkDelayMs: number;
  /** Destroy the socket after this many content chunks (a provider dying mid-stream). */
  cutStreamAfter: number;
  /** Answer 200 with a body that is not valid JSON. */
  garbage: boolean;
  /** Destroy the socket without answering (after `latencyMs`). */
  dropConnection: boolean;
  /** Fixed reply text; default an echo of the last user message. */
  reply: string;
  /** Cut the reply to the larger of max_tokens and max_completion_tokens, as a provider that honours either does. */
  honourMaxTokens: boolean;
  /** Generate and bill max(n, best_of) completions, returning n choices, as OpenAI does. */
  honourChoices: boolean;
  /** Bill the text of tools, functions, tool_choice, response_format and prediction as prompt, as OpenAI does. */
  billToolsAsPrompt: boolean;
  /** Never send a usage chunk in a stream, even when stream_options.include_usage asks (many servers don't). */
  omitStreamUsage: boolean;
  /** Extra response headers on every answer. */
  headers: Record<string, string>;
  /** After the content chunks of a stream, send this as a `data:` event and end without `[DONE]` (a provider's mid-stream error). */
  streamError: unknown;
  /** Answer with a call of this function (chat tool_calls, a Responses function_call) when the request offers tools. */
  toolCall: { name: string; arguments: string } | null;
  /** Report this many of the prompt tokens as read from the prompt cache (`prompt_tokens_details.cached_tokens`), as OpenAI does. */
  cachedPromptTokens: number;
}

/**
 * `{{header:NAME}}` in a behaviour's `errorBody`, `streamError`, `headers`
 * or `reply` becomes the value of the request's header NAME: a provider or
 * proxy that echoes the credentials it was sent.
 */
function echoHeaders(text: string, req: IncomingMessage): string {
  return text.replace(/\{\{header:([a-z0-9-]+)\}\}/gi, (_match, name: string) => {
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : (value ?? '');
  });
}

function echoedJson(value: unknown, req: IncomingMessage): string {
  return echoHeaders(typeof value === 'string' ? value : JSON.stringify(value), req);
}

export interface RecordedRequest {
  path: string;
  /** The body's `model`, or the Azure deployment name from the path. */
  model: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** The body exactly as it arrived (UTF-8 text), for tests that check what the gateway changed. */
  text: string;
}

export interface MockProvider {
  /** Base URL ending in `/v1`. */
  readonly url: string;
  readonly port: number;
  /** Completion, chat, embedding and Responses calls received, GET/DELETE of stored responses included (model listings are not calls). */
  readonly calls: number;
  /** Tokens the mock billed for what it generated (its usage's total_tokens, also when it did not send the usage). */
  readonly billedTokens: number;
  callsByModel(): Record<string, number>;
  /** The most recent requests (up to `maxRecorded`), oldest first. */
  readonly requests: readonly RecordedRequest[];
  /**
   * Calls whose client (the gateway) closed the connection before the answer
   * was complete: a cancelled call. Connections the mock cuts itself
   * (`dropConnection`, `cutStreamAfter`) are not counted.
   */
  readonly aborted: number;
  /** Resolves with the aborted count once it reaches `n`; rejects after `timeoutMs`. */
  waitForAborted(n: number, timeoutMs?: number): Promise<number>;
  /** Zeroes the counters, forgets recorded requests and every behaviour. */
  reset(): void;
  /** Sets behaviour for one model, or for every model with '*'; per-model settings win. */
  behave(model: string, behaviour: Partial<MockProviderBehaviour>): void;
  /** Resolves with the call count once it reaches `n`; rejects after `timeoutMs`. */
  waitForCalls(n: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

export interface MockProviderOptions {
  port?: number;
  host?: string;
  maxRecorded?: number;
}

type Kind = 'chat' | 'completions' | 'embeddings' | 'responses';

const DEFAULTS: MockProviderBehaviour = {
  latencyMs: 0,
  status: 200,
  errorBody: undefined,
  retryAfter: 0,
  streamChunks: 3,
  chunkDelayMs: 0,
  cutStreamAfter: Number.POSITIVE_INFINITY,
  garbage: false,
  dropConnection: false,
  reply: '',
  honourMaxTokens: false,
  honourChoices: false,
  billToolsAsPrompt: false,
  omitStreamUsage: false,
  headers: {},
  streamError: undefined,
  toolCall: null,
  cachedPromptTokens: 0,
};

/** Request fields other than the messages whose text a model reads (and OpenAI bills as prompt). */
const TOOL_FIELDS = ['tools', 'functions', 'tool_choice', 'function_call', 'response_format', 'prediction'] as const;

const PATHS: Record<string, Kind> = {
  '/chat/completions': 'chat',
  '/completions': 'completions',
  '/embeddings': 'embeddings',
  '/responses': 'responses',
};
/** Azure's OpenAI-compatible v1 surface (the Responses API lives only there): no deployment in the path, model in the body. */
const AZURE_V1_PREFIX = '/openai/v1';
const STORED_RESPONSE = /^\/responses\/([A-Za-z0-9_-]+)$/;
const AZURE_PATH = /^\/openai\/deployments\/([^/]+)(\/.*)$/;

/** The largest embedding OpenAI's models return (text-embedding-3-large). */
const MAX_DIMENSIONS = 3072;
const tokens = (chars: number): number => Math.ceil(chars / 4);
const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function errorFor(status: number): unknown {
  const [type, code, message] =
    status === 429
      ? ['requests', 'rate_limit_exceeded', 'Rate limit reached for requests. Please try again later.']
      : status === 401
        ? ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.']
        : status === 404
          ? ['invalid_request_error', 'model_not_found', 'The model does not exist or you do not have access to it.']
          : status < 500
            ? ['invalid_request_error', null, `Mock provider rejected the request with ${status}.`]
            : ['server_error', null, 'The server had an error while processing your request.'];
  return { error: { message, type, param: null, code } };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('');
}

function promptOf(kind: Kind, body: Record<string, unknown>): { echo: string; chars: number } {
  if (kind === 'chat') {
    const messages = Array.isArray(body.messages) ? (body.messages as Array<{ role?: unknown; content?: unknown }>) : [];
    let chars = 0;
    let echo = '';
    for (const message of messages) {
      const text = textOf(message?.content);
      chars += text.length;
      if (message?.role === 'user') echo = text;
    }
    return { echo, chars };
  }
  const input = kind === 'completions' ? body.prompt : body.input;
  const items = Array.isArray(input) ? input : [input];
  const texts = items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item ?? '')));
  return { echo: texts.at(-1) ?? '', chars: texts.reduce((sum, text) => sum + text.length, 0) };
}

/**
 * What OpenAI's chat refuses in the message order: a tool message that
 * answers no tool call of the assistant message before it.
 */
function chatRefusal(body: Record<string, unknown>): string | null {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  let open = new Set<string>();
  for (const message of messages) {
    if (message.role === 'tool') {
      if (!open.has(String(message.tool_call_id))) return "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.";
      continue;
    }
    open = new Set(message.role === 'assistant' && Array.isArray(message.tool_calls) ? (message.tool_calls as Array<{ id?: unknown }>).map((call) => String(call.id)) : []);
  }
  return null;
}

function vector(text: string, dimensions: number): number[] {
  const out: number[] = [];
  for (let block = 0; out.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${text}\u0000${block}`).digest();
    for (let i = 0; i + 4 <= digest.length && out.length < dimensions; i += 4) out.push(digest.readUInt32LE(i) / 0xffffffff - 0.5);
  }
  const norm = Math.hypot(...out) || 1;
  return out.map((value) => value / norm);
}

function pieces(text: string, count: number): string[] {
  const words = text.split(/(?<=\s)/);
  const size = Math.max(1, Math.ceil(words.length / Math.max(1, count)));
  const out: string[] = [];
  for (let i = 0; i < words.length; i += size) out.push(words.slice(i, i + size).join(''));
  return out;
}

export async function startMockProvider(opts: MockProviderOptions = {}): Promise<MockProvider> {
  const host = opts.host ?? '127.0.0.1';
  const maxRecorded = opts.maxRecorded ?? 1000;
  let calls = 0;
  let billed = 0;
  let sequence = 0;
  const byModel = new Map<string, number>();
  const behaviours = new Map<string, Partial<MockProviderBehaviour>>();
  let recorded: RecordedRequest[] = [];
  let waiters: Array<{ n: number; resolve: (count: number) => void }> = [];
  let aborted = 0;
  let abortWaiters: Array<{ n: number; resolve: (count: number) => void }> = [];
  const cutByMock = new WeakSet<ServerResponse>();
  const responses = createResponsesMock();

  function cut(req: IncomingMessage, res: ServerResponse): void {
    cutByMock.add(res);
    req.socket.destroy();
  }

  function watchAbort(res: ServerResponse): void {
    res.once('close', () => {
      if (res.writableFinished || cutByMock.has(res)) return;
      aborted += 1;
      const ready = abortWaiters.filter((w) => aborted >= w.n);
      abortWaiters = abortWaiters.filter((w) => aborted < w.n);
      for (const waiter of ready) waiter.resolve(aborted);
    });
  }

  function behaviourFor(model: string): MockProviderBehaviour {
    return { ...DEFAULTS, ...behaviours.get('*'), ...behaviours.get(model) };
  }

  function count(request: RecordedRequest): void {
    calls += 1;
    byModel.set(request.model, (byModel.get(request.model) ?? 0) + 1);
    recorded.push(request);
    // Trimmed in batches so that recording stays O(1) per call.
    if (recorded.length > maxRecorded * 2) recorded = recorded.slice(-maxRecorded);
    if (waiters.length > 0) {
      const ready = waiters.filter((w) => calls >= w.n);
      waiters = waiters.filter((w) => calls < w.n);
      for (const waiter of ready) waiter.resolve(calls);
    }
  }

  function sendJson(res: ServerResponse, status: number, payload: unknown, extra: Record<string, string> = {}): void {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': typeof payload === 'string' && status >= 300 ? 'text/plain' : 'application/json',
      'content-length': Buffer.byteLength(text),
      ...extra,
    });
    res.end(text);
  }

  async function answer(kind: Kind, model: string, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const b = behaviourFor(model);
    const gone = (): boolean => res.destroyed || req.socket.destroyed;
    if (b.latencyMs > 0) await wait(b.latencyMs);
    if (gone()) return;
    if (b.dropConnection) return cut(req, res);
    const requestId = `req_mock_${++sequence}`;
    for (const [name, value] of Object.entries(b.headers)) res.setHeader(name, echoHeaders(value, req));
    if (b.status >= 300) {
      const headers: Record<string, string> = { 'x-request-id': requestId };
      if (b.retryAfter > 0) headers['retry-after'] = String(b.retryAfter);
      const errorBody = b.errorBody ?? errorFor(b.status);
      return sendJson(res, b.status, typeof errorBody === 'string' ? echoHeaders(errorBody, req) : JSON.parse(echoedJson(errorBody, req)), headers);
    }
    if (b.garbage) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"id": "chatcmpl-garbage", "choices": [tru');
    }
    if (kind === 'responses') {
      try {
        billed += responses.create(body, model, req, res, b, requestId, () => cut(req, res));
      } catch (error) {
        if (!(error instanceof ResponsesRefusal)) throw error;
        sendJson(res, error.status, error.body(), { 'x-request-id': requestId });
      }
      return;
    }
    const refusal = kind === 'chat' ? chatRefusal(body) : null;
    if (refusal !== null) return sendJson(res, 400, { error: { message: refusal, type: 'invalid_request_error', param: 'messages', code: null } }, { 'x-request-id': requestId });
    const created = Math.floor(Date.now() / 1000);
    const prompt = promptOf(kind, body);
    let promptChars = prompt.chars;
    if (b.billToolsAsPrompt) {
      for (const field of TOOL_FIELDS) if (body[field] != null && typeof body[field] !== 'string') promptChars += JSON.stringify(body[field]).length;
    }
    const promptTokens = tokens(promptChars);
    const usageBase =
      b.cachedPromptTokens > 0
        ? { prompt_tokens: promptTokens, prompt_tokens_details: { cached_tokens: Math.min(promptTokens, b.cachedPromptTokens) } }
        : { prompt_tokens: promptTokens };
    if (kind === 'embeddings') {
      const inputs = Array.isArray(body.input) && typeof body.input[0] !== 'number' ? body.input : [body.input];
      const dimensions = typeof body.dimensions === 'number' && body.dimensions > 0 ? body.dimensions : 8;
      // As OpenAI does: a client-chosen size beyond the model's is refused, not computed (it would block this process).
      if (dimensions > MAX_DIMENSIONS) {
        const message = `This model supports at most ${MAX_DIMENSIONS} dimensions; ${dimensions} were requested.`;
        return sendJson(res, 400, { error: { message, type: 'invalid_request_error', param: 'dimensions', code: null } }, { 'x-request-id': requestId });
      }
      // As OpenAI does: base64 (what the official SDKs ask for by default) is the float32 bytes of the vector.
      const base64 = body.encoding_format === 'base64';
      const data = inputs.map((input, index) => {
        const values = vector(typeof input === 'string' ? input : JSON.stringify(input), dimensions);
        return { object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(values).buffer).toString('base64') : values };
      });
      billed += usageBase.prompt_tokens;
      return sendJson(res, 200, { object: 'list', data, model, usage: { ...usageBase, total_tokens: usageBase.prompt_tokens } }, { 'x-request-id': requestId });
    }
    let reply = b.reply !== '' ? echoHeaders(b.reply, req) : `This is a mock response to: ${prompt.echo.slice(0, 200)}`;
    const limits = [body.max_tokens, body.max_completion_tokens].filter((value): value is number => typeof value === 'number');
    if (b.honourMaxTokens && limits.length > 0) reply = reply.slice(0, Math.max(...limits) * 4);
    const returned = b.honourChoices && typeof body.n === 'number' && body.n > 1 ? body.n : 1;
    const generated = b.honourChoices ? Math.max(returned, typeof body.best_of === 'number' ? body.best_of : 1) : 1;
    const completionTokens = tokens(reply.length) * generated;
    const usage = { ...usageBase, completion_tokens: completionTokens, total_tokens: usageBase.prompt_tokens + completionTokens };
    billed += usage.total_tokens;
    const indexes = Array.from({ length: returned }, (_, index) => index);
    const toolCall = kind === 'chat' && b.toolCall !== null && Array.isArray(body.tools) && body.tools.length > 0 ? b.toolCall : null;
    const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-mock${sequence}`;
    const object = kind === 'chat' ? 'chat.completion' : 'text_completion';
    const callId = `call_mock${sequence}`;
    if (body.stream !== true) {
      const choices = indexes.map((index) =>
        toolCall !== null
          ? { index, message: { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: callId, type: 'function', function: toolCall }] }, logprobs: null, finish_reason: 'tool_calls' }
          : kind === 'chat'
          ? { index, message: { role: 'assistant', content: reply, refusal: null }, logprobs: null, finish_reason: 'stop' }
          : { index, text: reply, logprobs: null, finish_reason: 'stop' },
      );
      return sendJson(res, 200, { id, object, created, model, choices, usage }, { 'x-request-id': requestId });
    }
    const options = body.stream_options as { include_usage?: unknown } | null | undefined;
    const includeUsage = options?.include_usage === true && !b.omitStreamUsage;
    const chunkObject = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    const chunk = (piece: string | null, first: boolean): string => {
      const finish = piece === null ? 'stop' : null;
      const choices = indexes.map((index) =>
        kind === 'chat'
          ? { index, delta: piece === null ? {} : first ? { role: 'assistant', content: piece } : { content: piece }, logprobs: null, finish_reason: finish }
          : { index, text: piece ?? '', logprobs: null, finish_reason: finish },
      );
      const payload = { id, object: chunkObject, created, model, choices, ...(includeUsage ? { usage: null } : {}) };
      return `data: ${JSON.stringify(payload)}\n\n`;
    };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': requestId });
    if (toolCall !== null) {
      const half = Math.ceil(toolCall.arguments.length / 2);
      const deltas = [
        { role: 'assistant', content: null, tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: toolCall.name, arguments: '' } }] },
        { tool_calls: [{ index: 0, function: { arguments: toolCall.arguments.slice(0, half) } }] },
        { tool_calls: [{ index: 0, function: { arguments: toolCall.arguments.slice(half) } }] },
      ];
      const frame = (delta: unknown, finish: string | null) =>
        `data: ${JSON.stringify({ id, object: chunkObject, created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) })}\n\n`;
      let out = deltas.map((delta) => frame(delta, null)).join('') + frame({}, 'tool_calls');
      if (includeUsage) out += `data: ${JSON.stringify({ id, object: chunkObject, created, model, choices: [], usage })}\n\n`;
      return void res.end(`${out}data: [DONE]\n\n`);
    }
    const parts = pieces(reply, b.streamChunks);
    for (const [index, piece] of parts.entries()) {
      if (index >= b.cutStreamAfter) return cut(req, res);
      if (index > 0 && b.chunkDelayMs > 0) await wait(b.chunkDelayMs);
      if (gone()) return;
      res.write(chunk(piece, index === 0));
    }
    if (parts.length >= b.cutStreamAfter) return cut(req, res);
    if (b.streamError !== undefined) return void res.end(`data: ${echoedJson(b.streamError, req)}\n\n`);
    let tail = chunk(null, false);
    if (includeUsage) tail += `data: ${JSON.stringify({ id, object: chunkObject, created, model, choices: [], usage })}\n\n`;
    res.end(`${tail}data: [DONE]\n\n`);
  }

  function route(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    let rest = path.startsWith('/v1/') ? path.slice(3) : path;
    let azureModel: string | null = null;
    const azure = AZURE_PATH.exec(path);
    if (azure) {
      azureModel = decodeURIComponent(azure[1] ?? '');
      rest = azure[2] ?? '';
    } else if (path.startsWith(`${AZURE_V1_PREFIX}/`)) {
      rest = path.slice(AZURE_V1_PREFIX.length);
      // As Azure does: the v1 surface takes no dated api-version.
      const version = new URL(req.url ?? '/', 'http://mock').searchParams.get('api-version');
      if (version !== null && version !== 'preview' && version !== 'latest') {
        return sendJson(res, 400, { error: { code: 'BadRequest', message: `api-version '${version}' is not allowed with the v1 API.` } });
      }
    }
    const stored = STORED_RESPONSE.exec(rest);
    if (stored && (req.method === 'GET' || req.method === 'DELETE')) {
      count({ path, model: '', headers: req.headers, body: null, text: raw });
      return responses.stored(req.method, stored[1]!, req, res);
    }
    if (req.method === 'GET' && rest === '/models') {
      const ids = new Set([...byModel.keys(), ...behaviours.keys()].filter((id) => id !== '*'));
      if (ids.size === 0) ids.add('mock-model');
      const data = [...ids].map((id) => ({ id, object: 'model', created: 0, owned_by: 'mock' }));
      return sendJson(res, 200, { object: 'list', data });
    }
    const kind = PATHS[rest];
    if (req.method !== 'POST' || kind === undefined) {
      return sendJson(res, 404, { error: { message: `Unknown route ${req.method} ${path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return sendJson(res, 400, { error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null } });
    }
    const model = azureModel ?? (typeof body.model === 'string' ? body.model : '');
    count({ path, model, headers: req.headers, body, text: raw });
    watchAbort(res);
    answer(kind, model, body, req, res).catch(() => cut(req, res));
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => route(req, res, chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')));
  });
  // Longer than any client's pool idle time, so a client never reuses a
  // socket the server is closing (a spurious ECONNRESET in tests).
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    get calls() {
      return calls;
    },
    get billedTokens() {
      return billed;
    },
    callsByModel: () => Object.fromEntries(byModel),
    get requests() {
      return recorded.length > maxRecorded ? recorded.slice(-maxRecorded) : recorded;
    },
    get aborted() {
      return aborted;
    },
    waitForAborted(n, timeoutMs = 10_000) {
      if (aborted >= n) return Promise.resolve(aborted);
      return new Promise<number>((resolve, reject) => {
        const waiter = {
          n,
          resolve: (value: number) => {
            clearTimeout(timer);
            resolve(value);
          },
        };
        const timer = setTimeout(() => {
          abortWaiters = abortWaiters.filter((w) => w !== waiter);
          reject(new Error(`mock provider: expected ${n} aborted calls within ${timeoutMs} ms, got ${aborted}`));
        }, timeoutMs);
        abortWaiters.push(waiter);
      });
    },
    reset() {
      calls = 0;
      billed = 0;
      aborted = 0;
      byModel.clear();
      behaviours.clear();
      recorded = [];
    },
    behave(model, behaviour) {
      behaviours.set(model, { ...behaviours.get(model), ...behaviour });
    },
    waitForCalls(n, timeoutMs = 10_000) {
      if (calls >= n) return Promise.resolve(calls);
      return new Promise<number>((resolve, reject) => {
        const waiter = {
          n,
          resolve: (value: number) => {
            clearTimeout(timer);
            resolve(value);
          },
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          reject(new Error(`mock provider: expected ${n} calls within ${timeoutMs} ms, got ${calls}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
