import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createPublicKey, createVerify, randomBytes, type KeyObject } from 'node:crypto';
import { listenMock } from './mock-http.js';

/*
 * A counting mock of Google's model APIs on one port:
 *   - Google AI Studio: POST /v1beta/models/{model}:generateContent,
 *     :streamGenerateContent?alt=sse, :batchEmbedContents (x-goog-api-key);
 *   - Vertex AI: POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent,
 *     :streamGenerateContent?alt=sse, :predict, and publishers/anthropic/models/{model}:rawPredict,
 *     :streamRawPredict (a bearer token);
 *   - an OAuth 2.0 token endpoint (POST /token) for service-account JWT
 *     assertions: it verifies the RS256 signature with the test key's public
 *     key and issues the tokens the Vertex paths accept.
 * Its request checks follow Google's API reference (generateContent's
 * request body, Content, Part, Tool, Schema, GenerationConfig) and refuse
 * what Google refuses, with Google's error shape
 * `{"error": {"code", "message", "status"}}`.
 */

export interface GeminiMockBehaviour {
  /** Reply text; default an echo of the last user text. */
  reply: string;
  /** Answer with functionCall parts (after the text, when there is one); Claude on Vertex with tool_use blocks for those the request offers. */
  toolCalls: Array<{ name: string; args: Record<string, unknown> }>;
  /** Answer with this status and Google's error body for it. */
  status: number;
  /** The error message (default one of Google's for the status). */
  errorMessage: string | null;
  /** End a stream after its first text, with no finishReason or message_stop (a connection cut mid-way). */
  cutStream: boolean;
  finishReason: string;
  /** Claude on Vertex answers with its tool uses alone, no text before them: what Claude does when tool_choice forces a tool. */
  toolOnly: boolean;
  /** Put the credential the request carried (the API key, or the OAuth token) into the error message: a proxy that echoes it. */
  echoCredentials: boolean;
}

export interface GeminiRecordedRequest {
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface GeminiMock {
  /** The api_base to configure (the host). */
  readonly url: string;
  /** The token_uri to put in the service account's key file. */
  readonly tokenUri: string;
  /** Model calls that passed the checks and were answered (errors by behaviour included). */
  readonly calls: number;
  readonly tokenCalls: number;
  /** Requests the mock refused, with its message (a test expects none). */
  readonly refusals: readonly string[];
  readonly requests: readonly GeminiRecordedRequest[];
  /** Tokens billed in total (prompt + output) over every answered call. */
  readonly billedTokens: number;
  /** Every access token the token endpoint issued. */
  readonly issuedTokens: readonly string[];
  /** The lifetime (expires_in) of the tokens issued from now on; an expired token is refused with 401. */
  setTokenLifetime(seconds: number): void;
  /** Token requests from now on get no answer until this is turned off again (then they are answered). */
  holdTokenRequests(hold: boolean): void;
  behave(model: string, behaviour: Partial<GeminiMockBehaviour>): void;
  reset(): void;
  close(): Promise<void>;
}

export interface GeminiMockOptions {
  /** The AI Studio key the mock accepts. */
  apiKey: string;
  /** The service account whose assertions the token endpoint accepts. */
  serviceAccount: { clientEmail: string; publicKeyPem: string };
  /** The Vertex project and location the mock serves. */
  project: string;
  location: string;
}

const DEFAULTS: GeminiMockBehaviour = { reply: '', toolCalls: [], status: 200, errorMessage: null, cutStream: false, finishReason: 'STOP', echoCredentials: false, toolOnly: false };

const STATUS_NAME: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};
const DEFAULT_MESSAGE: Record<number, string> = {
  429: 'Resource has been exhausted (e.g. check quota).',
  500: 'An internal error has occurred.',
  503: 'The model is overloaded. Please try again later.',
};

const REQUEST_FIELDS = new Set(['contents', 'tools', 'toolConfig', 'safetySettings', 'systemInstruction', 'generationConfig', 'cachedContent', 'labels']);
const GENERATION_FIELDS = new Set([
  'stopSequences', 'responseMimeType', 'responseSchema', 'responseJsonSchema', 'responseModalities', 'candidateCount', 'maxOutputTokens',
  'temperature', 'topP', 'topK', 'seed', 'presencePenalty', 'frequencyPenalty', 'responseLogprobs', 'logprobs', 'thinkingConfig', 'mediaResolution',
  'speechConfig', 'enableEnhancedCivicAnswers',
]);
const PART_DATA = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult'];
const PART_FIELDS = new Set([...PART_DATA, 'thought', 'thoughtSignature', 'videoMetadata']);
const SCHEMA_FIELDS = new Set([
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required', 'minProperties', 'maxProperties',
  'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering', 'default', 'items', 'minimum', 'maximum',
]);
const SCHEMA_TYPES = new Set(['STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL', 'TYPE_UNSPECIFIED']);
const FUNCTION_NAME = /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/;
const CLAUDE_FIELDS = new Set(['anthropic_version', 'messages', 'max_tokens', 'system', 'metadata', 'stop_sequences', 'stream', 'temperature', 'top_p', 'top_k', 'tools', 'tool_choice', 'thinking']);
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const refuse = (message: string, status = 400, details: unknown[] = []): never => {
  throw new Refusal(status, message, details);
};
const unknownField = (name: string, at: string): never => refuse(`Invalid JSON payload received. Unknown name "${name}" at '${at}': Cannot find field.`);
const tokens = (chars: number): number => Math.max(1, Math.ceil(chars / 4));

function checkSchema(schema: unknown, at: string): void {
  if (!isObject(schema)) return void refuse(`Invalid value at '${at}': expected an object`);
  for (const key of Object.keys(schema)) if (!SCHEMA_FIELDS.has(key)) unknownField(key, at);
  if (schema.type !== undefined && (typeof schema.type !== 'string' || !SCHEMA_TYPES.has(schema.type.toUpperCase()))) refuse(`Invalid value at '${at}.type': ${JSON.stringify(schema.type)}`);
  if (typeof schema.type === 'string' && schema.type.toUpperCase() === 'OBJECT' && isObject(schema.properties) && Object.keys(schema.properties).length === 0) {
    refuse(`* GenerateContentRequest.${at}.properties: should be non-empty for OBJECT type`);
  }
  if (isObject(schema.properties)) for (const [name, sub] of Object.entries(schema.properties)) checkSchema(sub, `${at}.properties[${name}]`);
  if (schema.items !== undefined) checkSchema(schema.items, `${at}.items`);
  if (Array.isArray(schema.anyOf)) schema.anyOf.forEach((sub, i) => checkSchema(sub, `${at}.any_of[${i}]`));
}

function checkParts(parts: unknown, at: string): Json[] {
  if (!Array.isArray(parts) || parts.length === 0) return refuse(`* GenerateContentRequest.${at}.parts: contents.parts must not be empty.`);
  return parts.map((part, i) => {
    if (!isObject(part)) return refuse(`Invalid value at '${at}.parts[${i}]'`);
    for (const key of Object.keys(part)) if (!PART_FIELDS.has(key)) unknownField(key, `${at}.parts[${i}]`);
    const data = PART_DATA.filter((key) => part[key] !== undefined);
    if (data.length !== 1) refuse(`* GenerateContentRequest.${at}.parts[${i}].data: required oneof field 'data' must have one initialized field`);
    if (isObject(part.inlineData) && (typeof part.inlineData.mimeType !== 'string' || typeof part.inlineData.data !== 'string' || !/^[A-Za-z0-9+/=_-]*$/.test(part.inlineData.data))) {
      refuse(`Invalid value at '${at}.parts[${i}].inline_data': mimeType and base64 data are required`);
    }
    if (isObject(part.fileData) && (typeof part.fileData.fileUri !== 'string' || typeof part.fileData.mimeType !== 'string')) refuse(`* GenerateContentRequest.${at}.parts[${i}].file_data: fileUri and mimeType are required`);
    if (part.functionCall !== undefined && (!isObject(part.functionCall) || typeof part.functionCall.name !== 'string')) refuse(`* GenerateContentRequest.${at}.parts[${i}].function_call.name: name is required`);
    if (part.functionResponse !== undefined && (!isObject(part.functionResponse) || typeof part.functionResponse.name !== 'string' || !isObject(part.functionResponse.response))) {
      refuse(`* GenerateContentRequest.${at}.parts[${i}].function_response: name and an object response are required`);
    }
    return part;
  });
}

/** generateContent's body, as Google checks it; returns the prompt's size and its last user text. */
function checkGenerateContent(body: Json): { chars: number; lastUserText: string } {
  for (const key of Object.keys(body)) if (!REQUEST_FIELDS.has(key)) unknownField(key, '');
  if (!Array.isArray(body.contents) || body.contents.length === 0) refuse('* GenerateContentRequest.contents: contents is not specified');
  let chars = 0;
  let lastUserText = '';
  let pendingCalls = 0;
  (body.contents as unknown[]).forEach((content, i) => {
    if (!isObject(content)) refuse(`Invalid value at 'contents[${i}]'`);
    const c = content as Json;
    for (const key of Object.keys(c)) if (key !== 'role' && key !== 'parts') unknownField(key, `contents[${i}]`);
    if (c.role !== undefined && c.role !== 'user' && c.role !== 'model') refuse('Please use a valid role: user, model.');
    const parts = checkParts(c.parts, `contents[${i}]`);
    const calls = parts.filter((p) => p.functionCall !== undefined).length;
    const responses = parts.filter((p) => p.functionResponse !== undefined).length;
    if (pendingCalls > 0 && responses !== pendingCalls) {
      refuse('Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.');
    }
    if (responses > 0 && pendingCalls === 0) refuse('Please ensure that function response turn comes immediately after a function call turn.');
    if (calls > 0 && c.role !== 'model') refuse('Please ensure that function call turn comes immediately after a user turn or after a function response turn.');
    pendingCalls = calls;
    for (const p of parts) {
      const text = typeof p.text === 'string' ? p.text : p.functionCall !== undefined ? JSON.stringify(p.functionCall) : p.functionResponse !== undefined ? JSON.stringify(p.functionResponse) : '';
      chars += text.length;
      if (c.role !== 'model' && typeof p.text === 'string') lastUserText = p.text;
    }
  });
  if (body.systemInstruction !== undefined) {
    const system = isObject(body.systemInstruction) ? body.systemInstruction : refuse("Invalid value at 'system_instruction'");
    checkParts(system.parts, 'system_instruction').forEach((p) => (typeof p.text === 'string' ? (chars += p.text.length) : refuse('system_instruction: only text parts are supported')));
  }
  const names: string[] = [];
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) refuse("Invalid value at 'tools': expected a list");
    (body.tools as unknown[]).forEach((tool, i) => {
      if (!isObject(tool)) refuse(`Invalid value at 'tools[${i}]'`);
      const t = tool as Json;
      for (const key of Object.keys(t)) if (!['functionDeclarations', 'googleSearch', 'codeExecution', 'urlContext'].includes(key)) unknownField(key, `tools[${i}]`);
      const declarations = Array.isArray(t.functionDeclarations) ? t.functionDeclarations : [];
      declarations.forEach((fn: unknown, j) => {
        const at = `tools[${i}].function_declarations[${j}]`;
        if (!isObject(fn)) return refuse(`Invalid value at '${at}'`);
        for (const key of Object.keys(fn)) if (!['name', 'description', 'parameters', 'parametersJsonSchema', 'response', 'behavior'].includes(key)) unknownField(key, at);
        if (typeof fn.name !== 'string' || !FUNCTION_NAME.test(fn.name)) refuse(`* GenerateContentRequest.${at}.name: Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:) or dashes (-), with a maximum length of 64.`);
        if (fn.parameters !== undefined) checkSchema(fn.parameters, `${at}.parameters`);
        names.push(fn.name as string);
        chars += JSON.stringify(fn).length;
      });
    });
  }
  if (body.toolConfig !== undefined) {
    const config = isObject(body.toolConfig) && isObject(body.toolConfig.functionCallingConfig) ? body.toolConfig.functionCallingConfig : refuse("Invalid value at 'tool_config'");
    if (!['AUTO', 'ANY', 'NONE', 'VALIDATED'].includes(String(config.mode))) refuse(`Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), "${String(config.mode)}"`);
    if (config.allowedFunctionNames !== undefined) {
      if (config.mode !== 'ANY') refuse('* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: only allowed when mode is ANY.');
      for (const name of config.allowedFunctionNames as unknown[]) if (!names.includes(String(name))) refuse(`* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: ${String(name)} is not a declared function`);
    }
  }
  if (body.generationConfig !== undefined) {
    const config = isObject(body.generationConfig) ? body.generationConfig : refuse("Invalid value at 'generation_config'");
    for (const key of Object.keys(config)) if (!GENERATION_FIELDS.has(key)) unknownField(key, 'generation_config');
    if (config.temperature !== undefined && (typeof config.temperature !== 'number' || config.temperature < 0 || config.temperature > 2)) refuse('* GenerateContentRequest.generation_config.temperature: must be in [0, 2]');
    if (config.topP !== undefined && (typeof config.topP !== 'number' || config.topP < 0 || config.topP > 1)) refuse('* GenerateContentRequest.generation_config.top_p: must be in [0, 1]');
    if (config.maxOutputTokens !== undefined && !Number.isInteger(config.maxOutputTokens)) refuse("Invalid value at 'generation_config.max_output_tokens' (TYPE_INT32)");
    if (config.stopSequences !== undefined && (!Array.isArray(config.stopSequences) || config.stopSequences.length > 5)) refuse('* GenerateContentRequest.generation_config.stop_sequences: at most 5');
    if (config.responseSchema !== undefined) checkSchema(config.responseSchema, 'generation_config.response_schema');
  }
  return { chars, lastUserText };
}

function checkClaude(body: Json): { chars: number; lastUserText: string } {
  for (const key of Object.keys(body)) if (!CLAUDE_FIELDS.has(key)) refuse(`${key}: Extra inputs are not permitted`);
  if (body.anthropic_version !== 'vertex-2023-10-16') refuse('anthropic_version: Input should be \'vertex-2023-10-16\'');
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) refuse('max_tokens: Field required');
  if (!Array.isArray(body.messages) || body.messages.length === 0) refuse('messages: Field required');
  let chars = 0;
  let lastUserText = '';
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) refuse('tools: Input should be a valid list');
    (body.tools as unknown[]).forEach((tool, i) => {
      if (!isObject(tool) || typeof tool.name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(tool.name)) refuse(`tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
      if (!isObject((tool as Json).input_schema) || ((tool as Json).input_schema as Json).type !== 'object') refuse(`tools.${i}.input_schema: Input should be an object schema`);
      chars += JSON.stringify(tool).length;
    });
  }
  for (const [i, message] of (body.messages as unknown[]).entries()) {
    if (!isObject(message) || (message.role !== 'user' && message.role !== 'assistant')) return refuse(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    const blocks = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : Array.isArray(message.content) ? (message.content as Json[]) : refuse(`messages.${i}.content: Field required`);
    for (const block of blocks) {
      if (block.type === 'text') {
        chars += String(block.text).length;
        if (message.role === 'user') lastUserText = String(block.text);
      }
    }
  }
  return { chars, lastUserText };
}

interface JwtClaims {
  iss?: unknown;
  scope?: unknown;
  aud?: unknown;
  exp?: unknown;
  iat?: unknown;
}

/** A service-account JWT bearer assertion (RFC 7523), as Google's token endpoint checks it. */
function verifyAssertion(assertion: string, publicKey: KeyObject, clientEmail: string): JwtClaims {
  const [header, payload, signature] = assertion.split('.');
  if (header === undefined || payload === undefined || signature === undefined) return refuse('invalid_grant', 400);
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${header}.${payload}`);
  if (!verifier.verify(publicKey, Buffer.from(signature, 'base64url'))) refuse('invalid_grant', 400);
  const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown };
  if (head.alg !== 'RS256') refuse('invalid_grant', 400);
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JwtClaims;
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== clientEmail || claims.aud !== GOOGLE_TOKEN_AUDIENCE || typeof claims.exp !== 'number' || claims.exp < now) refuse('invalid_grant', 400);
  if (typeof claims.scope !== 'string' || !claims.scope.split(' ').includes(CLOUD_PLATFORM)) refuse('invalid_scope', 400);
  return claims;
}

const AI_STUDIO = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)$/;
const VERTEX = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):(generateContent|streamGenerateContent|predict|rawPredict|streamRawPredict)$/;

export async function startGeminiMock(options: GeminiMockOptions): Promise<GeminiMock> {
  const publicKey = createPublicKey(options.serviceAccount.publicKeyPem);
  let calls = 0;
  let tokenCalls = 0;
  let billed = 0;
  let refusals: string[] = [];
  let requests: GeminiRecordedRequest[] = [];
  /** Issued token -> when it expires (ms since the epoch). */
  const issued = new Map<string, number>();
  let tokenLifetimeSeconds = 3599;
  let held: Array<() => void> | null = null;
  const behaviours = new Map<string, Partial<GeminiMockBehaviour>>();
  let url = '';

  const send = (res: ServerResponse, status: number, payload: unknown): void => {
    const text = JSON.stringify(payload);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const sendError = (res: ServerResponse, status: number, message: string, details: unknown[] = []): void =>
    send(res, status, { error: { code: status, message, status: STATUS_NAME[status] ?? 'UNKNOWN', ...(details.length > 0 ? { details } : {}) } });

  /** The error a behaviour asks for, with the request's credential in it when it asks for that too. */
  function behaviourError(b: GeminiMockBehaviour, credential: string, res: ServerResponse): void {
    const message = b.errorMessage ?? DEFAULT_MESSAGE[b.status] ?? `Mock refused with ${b.status}`;
    sendError(res, b.status, b.echoCredentials ? `${message} (sent with ${credential})` : message);
  }

  function geminiAnswer(model: string, body: Json, prompt: { chars: number; lastUserText: string }, stream: boolean, credential: string, res: ServerResponse): void {
    const b = { ...DEFAULTS, ...behaviours.get('*'), ...behaviours.get(model) };
    calls += 1;
    if (b.status >= 300) return behaviourError(b, credential, res);
    const text = b.reply !== '' ? b.reply : `Mock Gemini answers: ${prompt.lastUserText.slice(0, 200)}`;
    const promptTokens = tokens(prompt.chars);
    const outputTokens = tokens(text.length + JSON.stringify(b.toolCalls).length);
    billed += promptTokens + outputTokens;
    const usageMetadata = { promptTokenCount: promptTokens, candidatesTokenCount: outputTokens, totalTokenCount: promptTokens + outputTokens };
    const calledParts = b.toolCalls.map((call) => ({ functionCall: call }));
    const responseId = `mock-${randomBytes(6).toString('hex')}`;
    const candidateCount = isObject(body.generationConfig) && typeof body.generationConfig.candidateCount === 'number' ? body.generationConfig.candidateCount : 1;
    if (!stream) {
      const candidates = Array.from({ length: candidateCount }, (_, index) => ({ content: { role: 'model', parts: [{ text }, ...calledParts] }, finishReason: b.finishReason, index }));
      return send(res, 200, { candidates, usageMetadata, modelVersion: model, responseId });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const event = (payload: Json): string => `data: ${JSON.stringify(payload)}\r\n\r\n`;
    const words = text.split(/(?<=\s)/);
    let out = '';
    for (const [i, word] of words.entries()) {
      out += event({ candidates: [{ content: { role: 'model', parts: [{ text: word }] }, index: 0 }], usageMetadata: { promptTokenCount: promptTokens }, modelVersion: model, responseId });
      if (i === 0 && b.cutStream) {
        res.end(out);
        return;
      }
    }
    out += event({ candidates: [{ content: { role: 'model', parts: calledParts.length > 0 ? calledParts : [{ text: '' }] }, finishReason: b.finishReason, index: 0 }], usageMetadata, modelVersion: model, responseId });
    res.end(out);
  }

  function claudeAnswer(model: string, body: Json, prompt: { chars: number; lastUserText: string }, stream: boolean, credential: string, res: ServerResponse): void {
    const b = { ...DEFAULTS, ...behaviours.get('*'), ...behaviours.get(model) };
    calls += 1;
    if (b.status >= 300) return behaviourError(b, credential, res);
    // Claude calls a tool only when the request offers it (`toolCalls` of the behaviour, as tool_use blocks).
    const offered = new Set(Array.isArray(body.tools) ? (body.tools as Json[]).map((tool) => tool.name) : []);
    const toolUses = b.toolCalls.filter((call) => offered.has(call.name)).map((call) => ({ type: 'tool_use', id: `toolu_vrtx_${randomBytes(6).toString('hex')}`, name: call.name, input: call.args }));
    const text = toolUses.length > 0 && b.toolOnly ? '' : b.reply !== '' ? b.reply : `Mock Claude on Vertex answers: ${prompt.lastUserText.slice(0, 200)}`;
    const blocks: Json[] = [...(text === '' ? [] : [{ type: 'text', text }]), ...toolUses];
    const usage = { input_tokens: tokens(prompt.chars), output_tokens: tokens(text.length + (toolUses.length === 0 ? 0 : JSON.stringify(b.toolCalls).length)) };
    billed += usage.input_tokens + usage.output_tokens;
    const id = `msg_vrtx_${randomBytes(6).toString('hex')}`;
    const stopReason = toolUses.length === 0 ? 'end_turn' : 'tool_use';
    if (!stream) return send(res, 200, { id, type: 'message', role: 'assistant', model, content: blocks, stop_reason: stopReason, stop_sequence: null, usage });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const event = (name: string, data: Json): string => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
    let out = event('message_start', { message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } });
    const first = text === '' ? 0 : 1;
    if (text !== '') {
      out += event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
      for (const word of text.split(/(?<=\s)/)) {
        out += event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: word } });
        if (b.cutStream) {
          res.end(out);
          return;
        }
      }
      out += event('content_block_stop', { index: 0 });
    }
    for (const [i, toolUse] of toolUses.entries()) {
      const json = JSON.stringify(toolUse.input);
      const half = Math.ceil(json.length / 2);
      out += event('content_block_start', { index: first + i, content_block: { ...toolUse, input: {} } });
      out += event('content_block_delta', { index: first + i, delta: { type: 'input_json_delta', partial_json: json.slice(0, half) } });
      out += event('content_block_delta', { index: first + i, delta: { type: 'input_json_delta', partial_json: json.slice(half) } });
      out += event('content_block_stop', { index: first + i });
    }
    out += event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
    out += event('message_stop', {});
    res.end(out);
  }

  function embed(model: string, texts: string[], dimensions: number | undefined): number[][] {
    calls += 1;
    billed += texts.reduce((sum, text) => sum + tokens(text.length), 0);
    return texts.map((text, i) => Array.from({ length: dimensions ?? 8 }, (_, j) => ((text.length + i + j) % 10) / 10 + (model.length % 3) / 100));
  }

  function batchEmbed(model: string, body: Json, res: ServerResponse): void {
    for (const key of Object.keys(body)) if (key !== 'requests') unknownField(key, '');
    if (!Array.isArray(body.requests) || body.requests.length === 0) refuse('* BatchEmbedContentsRequest.requests: requests is not specified');
    const texts = (body.requests as unknown[]).map((request, i) => {
      if (!isObject(request)) return refuse(`Invalid value at 'requests[${i}]'`);
      for (const key of Object.keys(request)) if (!['model', 'content', 'taskType', 'title', 'outputDimensionality'].includes(key)) unknownField(key, `requests[${i}]`);
      if (request.model !== `models/${model}`) refuse(`* BatchEmbedContentsRequest.model: the model of requests[${i}] (${String(request.model)}) differs from the batch's (models/${model})`);
      const parts = checkParts(isObject(request.content) ? request.content.parts : undefined, `requests[${i}].content`);
      return parts.map((p) => String(p.text ?? '')).join('');
    });
    const first = (body.requests as Json[])[0]!;
    const b = { ...DEFAULTS, ...behaviours.get('*'), ...behaviours.get(model) };
    if (b.status >= 300) {
      calls += 1;
      return sendError(res, b.status, b.errorMessage ?? DEFAULT_MESSAGE[b.status] ?? `Mock refused with ${b.status}`);
    }
    send(res, 200, { embeddings: embed(model, texts, typeof first.outputDimensionality === 'number' ? first.outputDimensionality : undefined).map((values) => ({ values })) });
  }

  function predict(model: string, body: Json, res: ServerResponse): void {
    for (const key of Object.keys(body)) if (key !== 'instances' && key !== 'parameters') unknownField(key, '');
    if (!Array.isArray(body.instances) || body.instances.length === 0) refuse('instances: must not be empty');
    const texts = (body.instances as unknown[]).map((instance, i) => (isObject(instance) && typeof instance.content === 'string' ? instance.content : refuse(`instances[${i}].content: required`)));
    const dimensions = isObject(body.parameters) && typeof body.parameters.outputDimensionality === 'number' ? body.parameters.outputDimensionality : undefined;
    const vectors = embed(model, texts, dimensions);
    send(res, 200, { predictions: vectors.map((values, i) => ({ embeddings: { values, statistics: { token_count: tokens(texts[i]!.length), truncated: false } } })) });
  }

  function token(raw: string, res: ServerResponse): void {
    tokenCalls += 1;
    const form = new URLSearchParams(raw);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return send(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' });
    try {
      verifyAssertion(form.get('assertion') ?? '', publicKey, options.serviceAccount.clientEmail);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      refusals.push(`token: ${err.message}`);
      return send(res, 400, { error: err.message, error_description: err.message === 'invalid_scope' ? 'Invalid OAuth scope' : 'Invalid JWT Signature.' });
    }
    const accessToken = `ya29.mock-${randomBytes(24).toString('base64url')}`;
    issued.set(accessToken, Date.now() + tokenLifetimeSeconds * 1000);
    send(res, 200, { access_token: accessToken, expires_in: tokenLifetimeSeconds, token_type: 'Bearer' });
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
    if (req.method === 'POST' && path === '/token') {
      if (held !== null) held.push(() => token(raw, res));
      else token(raw, res);
      return;
    }
    try {
      if (req.method !== 'POST') refuse(`Method not allowed: ${req.method}`, 404);
      // Google accepts ?key=, but a key in the URL ends up in access logs: the gateway must never send one.
      if (new URLSearchParams(query).has('key')) refuse('the mock refuses a key in the URL (it must travel in x-goog-api-key)');
      const studio = AI_STUDIO.exec(path);
      const vertex = VERTEX.exec(path);
      if (studio === null && vertex === null) refuse(`The requested URL ${path} was not found on this server.`, 404);
      const method = studio?.[2] ?? vertex![5]!;
      const stream = method === 'streamGenerateContent' || method === 'streamRawPredict';
      if (method === 'streamGenerateContent' && new URLSearchParams(query).get('alt') !== 'sse') refuse('the mock serves streams as SSE only (alt=sse)');
      if (studio !== null) {
        if (req.headers['x-goog-api-key'] !== options.apiKey) {
          refuse('API key not valid. Please pass a valid API key.', 400, [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }]);
        }
      } else {
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        const expires = bearer === undefined ? undefined : issued.get(bearer);
        if (expires === undefined || expires <= Date.now()) {
          refuse('Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 401);
        }
        if (vertex![1] !== options.project || vertex![2] !== options.location) refuse(`Project '${vertex![1]}' or location '${vertex![2]}' is not served here`, 403);
      }
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        refuse('Invalid JSON payload received. Unexpected token.');
      }
      if (!isObject(body)) refuse('Invalid JSON payload received. Expected an object.');
      const model = studio?.[1] ?? vertex![4]!;
      const publisher = vertex?.[3] ?? 'google';
      if (publisher === 'anthropic' && method !== 'rawPredict' && method !== 'streamRawPredict') refuse(`${method} is not served for publisher anthropic`, 404);
      if (publisher === 'google' && (method === 'rawPredict' || method === 'streamRawPredict')) refuse(`${method} is not served for publisher google`, 404);
      if (method === 'batchEmbedContents') {
        requests.push({ path, query, headers: req.headers, body: body as Json });
        return batchEmbed(model, body as Json, res);
      }
      if (method === 'predict') {
        requests.push({ path, query, headers: req.headers, body: body as Json });
        return predict(model, body as Json, res);
      }
      const prompt = publisher === 'anthropic' ? checkClaude(body as Json) : checkGenerateContent(body as Json);
      if (publisher === 'anthropic' && (body as Json).stream === true && !stream) refuse('stream: true needs :streamRawPredict');
      requests.push({ path, query, headers: req.headers, body: body as Json });
      const credential = String(req.headers['x-goog-api-key'] ?? req.headers.authorization ?? '');
      if (publisher === 'anthropic') return claudeAnswer(model, body as Json, prompt, stream, credential, res);
      geminiAnswer(model, body as Json, prompt, stream, credential, res);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      refusals.push(err.message);
      sendError(res, err.status, err.message, err.details);
    }
  }

  const server = await listenMock(handle);
  url = server.url;
  return {
    url,
    tokenUri: `${url}/token`,
    get calls() {
      return calls;
    },
    get tokenCalls() {
      return tokenCalls;
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
    get issuedTokens() {
      return [...issued.keys()];
    },
    setTokenLifetime(seconds) {
      tokenLifetimeSeconds = seconds;
    },
    holdTokenRequests(hold) {
      if (hold) {
        held ??= [];
        return;
      }
      const waiting = held ?? [];
      held = null;
      for (const answer of waiting) answer();
    },
    behave(model, behaviour) {
      behaviours.set(model, { ...behaviours.get(model), ...behaviour });
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
