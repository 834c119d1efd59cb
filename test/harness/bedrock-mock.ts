import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { BedrockRefusal, checkConverse, checkEmbeddingBody, isObject, type ConversePrompt } from './bedrock-mock-checks.js';
import { listenMock } from './mock-http.js';

/*
 * A counting mock of AWS Bedrock Runtime: Converse, ConverseStream (AWS event
 * stream framing, encoded by the AWS SDK's codec) and InvokeModel for Titan
 * and Cohere embeddings. It verifies each request's SigV4 signature by
 * recomputing it with the AWS SDK's signer and the test's secret (hashing
 * with the pure-JS SHA-256, where the gateway uses Node's): a wrong
 * secret, a tampered body, a wrong region or a missing session token is
 * refused with Bedrock's 403. Bodies are checked as Bedrock checks them
 * (bedrock-mock-checks.ts). Errors have Bedrock's shape: a `{"message"}` body
 * and an `x-amzn-errortype` header.
 */

export interface BedrockCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials: every request must carry this x-amz-security-token. */
  sessionToken?: string;
}

export interface BedrockMockBehaviour {
  /** Reply text; default an echo of the last user text. */
  reply: string;
  /** Answer with a toolUse block calling this tool (after the text). */
  toolCall: { name: string; input: Record<string, unknown> } | null;
  /** Answer with this status and Bedrock's error for it. */
  status: number;
  /** The error's message (default Bedrock's text for the status). */
  errorMessage: string | null;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Answer with the tool use alone, no text before it: what Claude does when toolChoice forces the tool (Anthropic prefills the turn). */
  toolOnly: boolean;
  /** Send this exception event (`throttlingException`, ...) after the first text delta. */
  streamException: string | null;
  /** Echo the request's Authorization header (its signature) in the error message and a response header, as a leaky proxy might. */
  echoAuthorization: boolean;
}

export interface BedrockRecordedRequest {
  path: string;
  modelId: string;
  action: 'converse' | 'converse-stream' | 'invoke';
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface BedrockMock {
  /** The endpoint to configure (api_base or aws_bedrock_runtime_endpoint). */
  readonly url: string;
  /** Requests that passed the checks and were answered (errors by behaviour included). */
  readonly calls: number;
  /** Requests the mock refused, with the message it gave. */
  readonly refusals: readonly string[];
  readonly requests: readonly BedrockRecordedRequest[];
  /** Tokens billed over every answered call (input incl. cache + output). */
  readonly billedTokens: number;
  behave(modelId: string, behaviour: Partial<BedrockMockBehaviour>): void;
  reset(): void;
  close(): Promise<void>;
}

const DEFAULTS: BedrockMockBehaviour = { reply: '', toolCall: null, status: 200, errorMessage: null, cacheReadTokens: 0, cacheWriteTokens: 0, streamException: null, echoAuthorization: false, toolOnly: false };

const ERRORS: Record<number, [string, string]> = {
  400: ['ValidationException', 'The provided request is not valid'],
  403: ['AccessDeniedException', "You don't have access to the model with the specified model ID."],
  404: ['ResourceNotFoundException', 'Could not resolve the foundation model from the provided model identifier.'],
  424: ['ModelErrorException', 'The model returned an error.'],
  429: ['ThrottlingException', 'Too many requests, please wait before trying again.'],
  500: ['InternalServerException', 'The server encountered an internal error while processing the request.'],
  503: ['ServiceUnavailableException', 'The service is temporarily unavailable.'],
};

const PATH = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/;
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;
const MAX_SKEW_MS = 5 * 60_000;

const denied = (errorType: string, message: string): never => {
  throw new BedrockRefusal(403, errorType, message);
};
const tokens = (chars: number): number => Math.max(1, Math.ceil(chars / 4));
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** An x-amz-date (`20250102T030405Z`) as a Date. */
function amzDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m === null ? null : new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

/** Recomputes the request's signature with the SDK's signer and the secret the key id belongs to, as Bedrock does. */
async function verifySignature(req: IncomingMessage, raw: string, region: string, credentials: readonly BedrockCredentials[], bearer: string | null): Promise<void> {
  const authorization = req.headers.authorization ?? '';
  if (bearer !== null && authorization === `Bearer ${bearer}`) return;
  if (authorization === '') denied('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const parsed = AUTHORIZATION.exec(authorization) ?? denied('IncompleteSignatureException', 'Authorization header requires Credential, SignedHeaders and Signature.');
  const [, keyId, day, scopeRegion, service, signedList] = parsed;
  const credential = credentials.find((c) => c.accessKeyId === keyId) ?? denied('UnrecognizedClientException', 'The security token included in the request is invalid.');
  const token = req.headers['x-amz-security-token'];
  if ((credential.sessionToken ?? null) !== (token ?? null)) denied('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (scopeRegion !== region) denied('InvalidSignatureException', `Credential should be scoped to a valid region, not '${scopeRegion}'.`);
  if (service !== 'bedrock') denied('InvalidSignatureException', `Credential should be scoped to correct service: 'bedrock'.`);
  const date = amzDate(String(req.headers['x-amz-date'] ?? '')) ?? denied('IncompleteSignatureException', 'x-amz-date is required');
  if (Math.abs(Date.now() - date.getTime()) > MAX_SKEW_MS) denied('InvalidSignatureException', 'Signature expired');
  if (day !== String(req.headers['x-amz-date']).slice(0, 8)) denied('InvalidSignatureException', 'Credential date does not match x-amz-date');
  const signedNames = signedList!.split(';');
  if (!signedNames.includes('host')) denied('InvalidSignatureException', "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  const sha = req.headers['x-amz-content-sha256'];
  if (sha !== undefined && sha !== createHash('sha256').update(raw).digest('hex')) denied('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.');
  const headers: Record<string, string> = {};
  for (const name of signedNames) headers[name] = String(req.headers[name] ?? '');
  const [host, port] = String(req.headers.host).split(':');
  const path = (req.url ?? '/').split('?', 1)[0]!;
  const signer = new SignatureV4({ service: 'bedrock', region, sha256: Sha256, applyChecksum: false, credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey } });
  const expected = await signer.sign(
    { method: req.method ?? 'POST', protocol: 'http:', hostname: host!, ...(port === undefined ? {} : { port: Number(port) }), path, query: {}, headers, body: raw },
    { signingDate: date, unsignableHeaders: new Set(), signableHeaders: new Set(signedNames) },
  );
  if (expected.headers.authorization !== authorization) {
    denied('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
  }
}

function frame(eventType: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    // Bedrock pads every event with a `p` field of random length.
    body: fromUtf8(JSON.stringify({ ...payload, p: 'abcdefgh'.slice(0, 1 + (eventType.length % 8)) })),
  });
}

function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

export async function startBedrockMock(options: { region: string; credentials: readonly BedrockCredentials[]; bearerToken?: string }): Promise<BedrockMock> {
  let calls = 0;
  let billed = 0;
  let refusals: string[] = [];
  let requests: BedrockRecordedRequest[] = [];
  const behaviours = new Map<string, Partial<BedrockMockBehaviour>>();

  let echo: Record<string, string> = {};
  const send = (res: ServerResponse, status: number, payload: unknown, extra: Record<string, string> = {}): void => {
    const text = JSON.stringify(payload);
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': `mock-${calls}-${requests.length}`, 'content-length': Buffer.byteLength(text), ...echo, ...extra });
    res.end(text);
  };
  const sendError = (res: ServerResponse, status: number, errorType: string, message: string): void =>
    send(res, status, { message }, { 'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/` });

  function converse(modelId: string, prompt: ConversePrompt, stream: boolean, b: BedrockMockBehaviour, res: ServerResponse): void {
    const text = b.toolCall !== null && b.toolOnly ? '' : b.reply !== '' ? b.reply : `Mock Bedrock answers: ${prompt.lastUserText.slice(0, 200)}`;
    const toolUseId = `tooluse_mock${calls}`;
    const input = tokens(prompt.chars);
    const output = tokens(text.length + (b.toolCall === null ? 0 : JSON.stringify(b.toolCall.input).length));
    const usage = { inputTokens: input, outputTokens: output, totalTokens: input + output + b.cacheReadTokens + b.cacheWriteTokens, ...(b.cacheReadTokens + b.cacheWriteTokens > 0 ? { cacheReadInputTokens: b.cacheReadTokens, cacheWriteInputTokens: b.cacheWriteTokens } : {}) };
    billed += usage.totalTokens;
    const stopReason = b.toolCall === null ? 'end_turn' : 'tool_use';
    if (!stream) {
      const content: unknown[] = text === '' ? [] : [{ text }];
      if (b.toolCall !== null) content.push({ toolUse: { toolUseId, name: b.toolCall.name, input: b.toolCall.input } });
      return send(res, 200, { output: { message: { role: 'assistant', content } }, stopReason, usage, metrics: { latencyMs: 12 } });
    }
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': `mock-${calls}` });
    const frames: Uint8Array[] = [frame('messageStart', { role: 'assistant' })];
    const words = text === '' ? [] : text.split(/(?<=\s)/);
    for (const [i, word] of words.entries()) {
      frames.push(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: word } }));
      if (i === 0 && b.streamException !== null) {
        frames.push(exceptionFrame(b.streamException, 'Too many tokens, please wait before trying again.'));
        res.end(Buffer.concat(frames));
        return;
      }
    }
    if (words.length > 0) frames.push(frame('contentBlockStop', { contentBlockIndex: 0 }));
    if (b.toolCall !== null) {
      const json = JSON.stringify(b.toolCall.input);
      const half = Math.ceil(json.length / 2);
      const index = words.length > 0 ? 1 : 0;
      frames.push(frame('contentBlockStart', { contentBlockIndex: index, start: { toolUse: { toolUseId, name: b.toolCall.name } } }));
      frames.push(frame('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input: json.slice(0, half) } } }));
      frames.push(frame('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input: json.slice(half) } } }));
      frames.push(frame('contentBlockStop', { contentBlockIndex: index }));
    }
    frames.push(frame('messageStop', { stopReason }));
    frames.push(frame('metadata', { usage, metrics: { latencyMs: 12 } }));
    // Bytes split across writes at arbitrary points, as TCP delivers them.
    const bytes = Buffer.concat(frames);
    const cut = Math.floor(bytes.length / 3);
    res.write(bytes.subarray(0, cut));
    res.end(bytes.subarray(cut));
  }

  function embed(modelId: string, texts: string[], body: Record<string, unknown>, res: ServerResponse): void {
    const count = texts.reduce((sum, text) => sum + tokens(text.length), 0);
    billed += count;
    const dimensions = typeof body.dimensions === 'number' ? body.dimensions : typeof body.output_dimension === 'number' ? body.output_dimension : 4;
    const vector = (text: string) => Array.from({ length: Math.min(dimensions, 8) }, (_, i) => ((text.length + i) % 10) / 10);
    const headers = { 'x-amzn-bedrock-input-token-count': String(count), 'x-amzn-bedrock-output-token-count': '0' };
    if (modelId.startsWith('cohere.')) {
      return send(res, 200, { id: `emb-${calls}`, embeddings: texts.map(vector), response_type: 'embeddings_floats', texts }, headers);
    }
    return send(res, 200, { embedding: vector(texts[0]!), inputTextTokenCount: count }, headers);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    try {
      const route = PATH.exec(path);
      if (req.method !== 'POST' || route === null) throw new BedrockRefusal(404, 'UnknownOperationException', `Unknown operation ${req.method} ${path}`);
      await verifySignature(req, raw, options.region, options.credentials, options.bearerToken ?? null);
      const modelId = decodeURIComponent(route[1]!);
      const action = route[2] as BedrockRecordedRequest['action'];
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        throw new BedrockRefusal(400, 'SerializationException', 'The request body is not valid JSON');
      }
      if (!isObject(body)) throw new BedrockRefusal(400, 'SerializationException', 'The request body must be a JSON object');
      const checked = action === 'invoke' ? checkEmbeddingBody(modelId, body) : checkConverse(body);
      requests.push({ path, modelId, action, headers: req.headers, body });
      const b = { ...DEFAULTS, ...behaviours.get('*'), ...behaviours.get(modelId) };
      calls += 1;
      const authorization = String(req.headers.authorization ?? '');
      echo = b.echoAuthorization ? { 'x-amzn-echo-authorization': authorization } : {};
      if (b.status >= 300) {
        const [type, message] = ERRORS[b.status] ?? ['InternalServerException', 'error'];
        const echoed = b.echoAuthorization ? ` (signature ${/Signature=(\w+)/.exec(authorization)?.[1] ?? ''}, header ${authorization})` : '';
        return sendError(res, b.status, type, `${b.errorMessage ?? message}${echoed}`);
      }
      if (action === 'invoke') embed(modelId, checked as string[], body, res);
      else converse(modelId, checked as ConversePrompt, action === 'converse-stream', b, res);
    } catch (err) {
      echo = {};
      if (!(err instanceof BedrockRefusal)) throw err;
      refusals.push(`${err.errorType}: ${err.message}`);
      sendError(res, err.status, err.errorType, err.message);
    }
  }

  const server = await listenMock(handle);
  return {
    url: server.url,
    get calls() {
      return calls;
    },
    get refusals() {
      return refusals;
    },
    get requests() {
      return requests;
    },
    get billedTokens() {
      return billed;
    },
    behave(modelId, behaviour) {
      behaviours.set(modelId, { ...behaviours.get(modelId), ...behaviour });
    },
    reset() {
      calls = 0;
      billed = 0;
      refusals = [];
      requests = [];
      behaviours.clear();
    },
    close: () => server.close(),
  };
}
