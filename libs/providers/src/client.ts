import { Agent, request, type Dispatcher } from 'undici';
import { ENDPOINTS, GatewayError } from '@switchyard/contracts';
import {
  cancelledFailure,
  connectionFailure,
  errorCode,
  httpFailure,
  invalidResponseFailure,
  misconfiguredFailure,
  timeoutFailure,
} from './failures.js';
import { HostMap, hostAwareConnector, type HostOptions } from './host.js';
import { callMock } from './mock.js';
import { callMockViaChat } from './mock-via-chat.js';
import { buildStoredResponseRequest } from './responses/stored.js';
import { VIA_CHAT } from './via-chat.js';
import type { StreamFraming } from './providers/base.js';
import { buildProviderRequest, providerConfig } from './request.js';
import { scrubberForCall, type SecretScrubber } from './secrets.js';
import { parseSse } from './sse.js';
import type { StreamTranslator } from './transforms.js';
import { usageFrom } from './usage.js';
import {
  ProviderStreamError,
  type ProviderCall,
  type ProviderClient,
  type ProviderClientOptions,
  type ProviderRequest,
  type ProviderResponse,
  type StoredResponseProviderCall,
  type StreamEvent,
} from './types.js';

/** Error bodies are read up to this size; the rest is not worth a client's time. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

type ResponseData = Dispatcher.ResponseData;

/** The provider's response headers, flat and scrubbed: whatever reads them later (retry-after, logs) sees no secret. */
function flattenHeaders(raw: ResponseData['headers'], scrubber: SecretScrubber): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) out[name] = scrubber.text(Array.isArray(value) ? value.join(', ') : value);
  }
  return out;
}

async function readCapped(body: ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    chunks.push(buffer);
    size += buffer.length;
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/**
 * One attempt's deadline and cancellation. `timeoutMs` bounds the whole call
 * for plain responses; for streams `streamTimeoutMs` bounds the wait for the
 * response head and then each silence between chunks (undici's bodyTimeout),
 * so a long stream that keeps talking is never cut.
 */
class CallControl {
  readonly controller = new AbortController();
  readonly timeoutMs: number;
  timedOut = false;
  #timer: NodeJS.Timeout;
  #signal: AbortSignal | undefined;
  #onAbort = (): void => this.controller.abort();

  constructor(timeoutMs: number, signal: AbortSignal | undefined) {
    this.timeoutMs = timeoutMs;
    this.#timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, timeoutMs);
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get cancelled(): boolean {
    return this.#signal?.aborted === true;
  }

  stopDeadline(): void {
    clearTimeout(this.#timer);
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/**
 * Every event of a provider's stream is searched for the deployment's
 * secrets, not only `error` events: telling the two apart costs a parse, and
 * the search is a few native `includes` per frame (measured in issue 12).
 */
async function* scrubbedEvents(events: AsyncIterable<StreamEvent>, scrubber: SecretScrubber): AsyncGenerator<StreamEvent, void, undefined> {
  for await (const event of events) {
    const data = scrubber.text(event.data);
    yield data === event.data ? event : { ...event, data };
  }
}

function streamErrorOf(call: ProviderCall, control: CallControl, err: unknown): ProviderStreamError {
  const id = call.deployment.id;
  const code = errorCode(err);
  if (control.cancelled) return new ProviderStreamError('cancelled', id, `the stream of deployment ${id} was cancelled`, { cause: err });
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return new ProviderStreamError('timeout', id, `deployment ${id} went silent mid-stream for ${control.timeoutMs} ms`, { cause: err });
  }
  const detail = code === null ? '' : ` (${code})`;
  return new ProviderStreamError('connection_error', id, `the stream of deployment ${id} broke before it ended${detail}`, { cause: err });
}

async function* relayStream(
  call: ProviderCall,
  control: CallControl,
  body: ResponseData['body'],
  req: ProviderRequest,
  framing: StreamFraming | undefined,
  scrubber: SecretScrubber,
): AsyncGenerator<StreamEvent, void, undefined> {
  let finished = false;
  try {
    const translator = req.translation?.transforms.stream(req.translation.ctx);
    const events = framing === undefined ? parseSse(body, translator) : framedEvents(framing, body, translator);
    yield* scrubber.empty ? events : scrubbedEvents(events, scrubber);
    finished = true;
  } catch (err) {
    if (err instanceof ProviderStreamError) throw err;
    throw streamErrorOf(call, control, err);
  } finally {
    control.dispose();
    // A consumer that stops early must not leave the socket half-read.
    if (!finished && !body.destroyed) body.destroy();
  }
}

/** A stream in a framing of its own (not SSE): decoded, then translated as SSE events are. */
async function* framedEvents(
  framing: StreamFraming,
  body: AsyncIterable<Uint8Array>,
  translator: StreamTranslator | undefined,
): AsyncGenerator<StreamEvent, void, undefined> {
  if (translator === undefined) throw new Error(`a ${framing.contentType} stream needs a stream translator`);
  for await (const event of framing.decode(body)) yield* translator.push(event);
  yield* translator.end();
}

function failureOf(call: ProviderCall, control: CallControl, err: unknown, responded: boolean): ProviderResponse {
  const code = errorCode(err);
  if (control.timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return timeoutFailure(call.deployment, control.timeoutMs);
  }
  if (control.cancelled) return cancelledFailure(call.deployment, true);
  return connectionFailure(call.deployment, err, responded);
}

async function sendHttp(agent: Agent, hosts: HostMap, call: ProviderCall, req: ProviderRequest): Promise<ProviderResponse> {
  const { deployment } = call;
  if (call.signal?.aborted) return cancelledFailure(deployment, false);
  const streaming = call.stream && ENDPOINTS[call.endpoint].streams;
  const timeoutMs = streaming ? deployment.streamTimeoutMs : deployment.timeoutMs;
  const control = new CallControl(timeoutMs, call.signal);
  const config = providerConfig(deployment);
  let res: ResponseData;
  let authorized: Record<string, string> = {};
  if (config.authorize !== undefined) {
    try {
      // Inside the call's deadline: a token endpoint that hangs is this call's timeout.
      authorized = await config.authorize(req, deployment, control.controller.signal);
      req = { ...req, headers: { ...req.headers, ...authorized } };
    } catch (err) {
      control.dispose();
      if (err instanceof GatewayError) return misconfiguredFailure(err);
      return failureOf(call, control, err, false);
    }
  }
  try {
    const target = hosts.dispatchable(req.url);
    res = await request(target.url, {
      dispatcher: agent,
      method: req.method,
      headers: target.host === null ? req.headers : { ...req.headers, host: target.host },
      body: req.method === 'POST' ? req.body : null,
      signal: control.controller.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (err) {
    control.dispose();
    return failureOf(call, control, err, false);
  }
  // An issued credential (an OAuth token, a signature) is scrubbed like the configured ones: a provider may echo it in an error.
  const scrubber = scrubberForCall(deployment, authorized, config.callSecrets?.(authorized));
  const headers = flattenHeaders(res.headers, scrubber);
  const contentType = headers['content-type'] ?? 'application/json';
  const ok = res.statusCode >= 200 && res.statusCode < 300;
  // Once the stream is handed over, its iterator owns the control.
  let handedOver = false;
  try {
    if (!ok) {
      const text = await readCapped(res.body, MAX_ERROR_BODY_BYTES);
      return httpFailure(deployment, res.statusCode, headers, config.errorBody?.(text, headers) ?? text, scrubber);
    }
    if (streaming) {
      const expected = config.streamFraming?.contentType ?? 'text/event-stream';
      if (!contentType.includes(expected)) {
        await res.body.dump();
        return invalidResponseFailure(deployment, res.statusCode, `expected ${expected}, got ${contentType}`);
      }
      control.stopDeadline();
      const events = relayStream(call, control, res.body, req, config.streamFraming, scrubber);
      handedOver = true;
      return { kind: 'stream', status: res.statusCode, headers, events };
    }
    // A 2xx body may echo a secret too (a proxy's debug field, a model repeating its prompt's headers).
    const body = scrubber.bytes(Buffer.from(await res.body.arrayBuffer()));
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return invalidResponseFailure(deployment, res.statusCode, 'the body is not JSON');
    }
    if (req.translation !== undefined) {
      const translated = req.translation.transforms.response(parsed, { ...req.translation.ctx, headers });
      const out = translated.body === null ? body : Buffer.from(JSON.stringify(translated.body));
      const stored = translated.storedResponseId === undefined ? {} : { storedResponseId: translated.storedResponseId };
      return { kind: 'json', status: res.statusCode, contentType: 'application/json', body: out, usage: translated.usage, headers, ...stored };
    }
    return { kind: 'json', status: res.statusCode, contentType, body, usage: usageFrom(parsed), headers };
  } catch (err) {
    return failureOf(call, control, err, true);
  } finally {
    if (!handedOver) control.dispose();
  }
}

/**
 * The one way services call providers: a pooled keep-alive HTTP client
 * (one undici Agent for every origin) plus the built-in mock. Every outcome
 * is a value, never a throw, except a stream breaking mid-way, which its
 * iterator throws as a `ProviderStreamError`.
 */
export function createProviderClient(opts: ProviderClientOptions & HostOptions = {}): ProviderClient {
  const keepAliveTimeout = opts.keepAliveTimeoutMs ?? 30_000;
  const hosts = new HostMap();
  const agent = new Agent({
    connect: hostAwareConnector(hosts, opts),
    connections: opts.connectionsPerOrigin ?? 128,
    keepAliveTimeout,
    keepAliveMaxTimeout: Math.max(keepAliveTimeout, 600_000),
  });
  return {
    async send(call: ProviderCall): Promise<ProviderResponse> {
      if (call.deployment.provider === 'mock') {
        const viaChat = VIA_CHAT[call.endpoint];
        return viaChat === undefined ? callMock(call) : callMockViaChat(call, viaChat);
      }
      let req: ProviderRequest;
      try {
        req = buildProviderRequest(call.deployment, call.endpoint, call.body, { stream: call.stream, wantUsage: call.wantUsage, bodyText: call.bodyText, anthropicBeta: call.anthropicBeta });
      } catch (err) {
        if (err instanceof GatewayError) return misconfiguredFailure(err);
        throw err;
      }
      return sendHttp(agent, hosts, call, req);
    },
    async sendStored(call: StoredResponseProviderCall): Promise<ProviderResponse> {
      let req: ProviderRequest;
      try {
        req = buildStoredResponseRequest(call.deployment, call.operation, call.responseId);
      } catch (err) {
        if (err instanceof GatewayError) return misconfiguredFailure(err);
        throw err;
      }
      const asCall: ProviderCall = { deployment: call.deployment, endpoint: 'responses', body: {}, stream: false, wantUsage: false, ...(call.signal ? { signal: call.signal } : {}) };
      return sendHttp(agent, hosts, asCall, req);
    },
    async close(): Promise<void> {
      await agent.close();
    },
  };
}
