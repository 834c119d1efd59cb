import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { listenMock } from './mock-http.js';

/*
 * A counting mock of Cohere's API v2 (POST /v2/chat, JSON and SSE; POST
 * /v2/embed). Its checks follow Cohere's API reference
 * (https://docs.cohere.com/reference/chat, /reference/chat-stream,
 * /reference/embed), so a test passes only when the gateway sends what Cohere
 * would accept: it refuses a wrong bearer key, fields Cohere does not know
 * (stream_options, n, user, a message's `name`, a tool's `strict`), roles and
 * parts it does not have, a tool result that answers no earlier tool call,
 * out-of-range p and penalties, an embed without input_type or
 * embedding_types, with Cohere's error shape (`{"id", "message"}`).
 */

export interface CohereMockBehaviour {
  /** Reply text; default an echo of the last user text. */
  reply: string;
  /** Answer with a tool plan and a call of this tool instead of text. */
  toolCall: { name: string; arguments: Record<string, unknown> } | null;
  /** Answer with this status and Cohere's error body for it. */
  status: number;
  /** Tokens Cohere's prompt template adds to what is sent (counted in `usage.tokens`, not billed). */
  templateTokens: number;
  /** End the stream with message-end carrying an error (a generation that failed mid-way). */
  streamError: boolean;
  /** Destroy the socket after the first content delta (a provider dying mid-stream). */
  cutStream: boolean;
  /** Put the request's Authorization header into the error message (a proxy that echoes credentials). */
  echoCredentials: boolean;
}

export interface CohereRecordedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface CohereMock {
  /** The api_base to configure (the host, no /v2). */
  readonly url: string;
  /** Chat and embed calls that passed the checks and were answered (errors by behaviour included). */
  readonly calls: number;
  /** Requests the mock refused, with the message it gave (a test expects none). */
  readonly refusals: readonly string[];
  readonly requests: readonly CohereRecordedRequest[];
  /** `usage.tokens` in total (input + output) over every answered call: what the gateway should settle to. */
  readonly tokens: number;
  behave(model: string, behaviour: Partial<CohereMockBehaviour>): void;
  reset(): void;
  close(): Promise<void>;
}

const DEFAULTS: CohereMockBehaviour = { reply: '', toolCall: null, status: 200, templateTokens: 40, streamError: false, cutStream: false, echoCredentials: false };

const CHAT_FIELDS = new Set([
  'model', 'messages', 'stream', 'tools', 'strict_tools', 'documents', 'citation_options', 'response_format', 'safety_mode',
  'max_tokens', 'stop_sequences', 'temperature', 'seed', 'frequency_penalty', 'presence_penalty', 'k', 'p', 'logprobs',
  'tool_choice', 'thinking', 'priority',
]);
const EMBED_FIELDS = new Set(['model', 'texts', 'images', 'inputs', 'input_type', 'embedding_types', 'truncate', 'max_tokens', 'output_dimension', 'priority']);
const INPUT_TYPES = new Set(['search_document', 'search_query', 'classification', 'clustering', 'image']);
const EMBEDDING_TYPES = new Set(['float', 'int8', 'uint8', 'binary', 'ubinary', 'base64']);
const MESSAGE_FIELDS: Record<string, Set<string>> = {
  system: new Set(['role', 'content']),
  user: new Set(['role', 'content']),
  assistant: new Set(['role', 'content', 'tool_calls', 'tool_plan', 'citations']),
  tool: new Set(['role', 'tool_call_id', 'content']),
};
const PART_TYPES: Record<string, Set<string>> = {
  system: new Set(['text']),
  user: new Set(['text', 'image_url', 'document']),
  assistant: new Set(['text', 'thinking']),
  tool: new Set(['text', 'document']),
};

class Refusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const refuse = (message: string, status = 400): never => {
  throw new Refusal(status, message);
};
const tokens = (chars: number): number => Math.max(1, Math.ceil(chars / 4));

function unknownFields(object: Json, allowed: Set<string>, at: string): void {
  for (const key of Object.keys(object)) if (!allowed.has(key)) refuse(`invalid request: unknown field: parameter ${at}${key} is not a valid field`);
}

function contentText(content: unknown, role: string, at: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return refuse(`invalid request: ${at}.content must be a string or a list of content items`);
  return content
    .map((part, i) => {
      const where = `${at}.content[${i}]`;
      if (!isObject(part) || typeof part.type !== 'string' || !PART_TYPES[role]!.has(part.type)) return refuse(`invalid request: ${where}: invalid content type for a ${role} message`);
      if (part.type === 'text') {
        unknownFields(part, new Set(['type', 'text']), `${where}.`);
        return typeof part.text === 'string' ? part.text : refuse(`invalid request: ${where}.text must be a string`);
      }
      if (part.type === 'image_url') {
        unknownFields(part, new Set(['type', 'image_url']), `${where}.`);
        const image = isObject(part.image_url) ? part.image_url : refuse(`invalid request: ${where}.image_url is required`);
        unknownFields(image, new Set(['url', 'detail']), `${where}.image_url.`);
        if (typeof image.url !== 'string' || !/^(https?:\/\/|data:image\/[a-z]+;base64,)/.test(image.url)) refuse(`invalid request: ${where}.image_url.url must be a URL or a data URI`);
        if (image.detail !== undefined && !['auto', 'low', 'high'].includes(String(image.detail))) refuse(`invalid request: ${where}.image_url.detail must be auto, low or high`);
        return '';
      }
      return '';
    })
    .join('');
}

function checkMessages(messages: unknown): { lastUserText: string; chars: number } {
  if (!Array.isArray(messages) || messages.length === 0) return refuse('invalid request: messages must not be empty');
  let lastUserText = '';
  let chars = 0;
  const calls = new Set<string>();
  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    if (!isObject(message) || typeof message.role !== 'string' || MESSAGE_FIELDS[message.role] === undefined) {
      return refuse(`invalid request: ${at}.role must be one of system, user, assistant, tool`);
    }
    const role = message.role;
    unknownFields(message, MESSAGE_FIELDS[role]!, `${at}.`);
    if (role === 'assistant') {
      const toolCalls = message.tool_calls;
      if (toolCalls !== undefined) {
        if (!Array.isArray(toolCalls)) refuse(`invalid request: ${at}.tool_calls must be a list`);
        (toolCalls as unknown[]).forEach((call, j) => {
          const where = `${at}.tool_calls[${j}]`;
          if (!isObject(call) || typeof call.id !== 'string' || call.type !== 'function' || !isObject(call.function)) refuse(`invalid request: ${where} needs id, type function and function`);
          const fn = (call as Json).function as Json;
          unknownFields(fn, new Set(['name', 'arguments']), `${where}.function.`);
          if (typeof fn.name !== 'string' || typeof fn.arguments !== 'string') refuse(`invalid request: ${where}.function needs a name and string arguments`);
          try {
            JSON.parse(fn.arguments as string);
          } catch {
            refuse(`invalid request: ${where}.function.arguments must be JSON`);
          }
          calls.add((call as Json).id as string);
        });
      }
      const hasContent = message.content !== undefined && (typeof message.content !== 'string' || message.content !== '');
      if (!hasContent && (toolCalls === undefined || (toolCalls as unknown[]).length === 0)) refuse(`invalid request: ${at}: an assistant message needs content or tool_calls`);
      if (message.content !== undefined) chars += contentText(message.content, role, at).length;
      return;
    }
    if (role === 'tool') {
      if (typeof message.tool_call_id !== 'string' || !calls.has(message.tool_call_id)) {
        refuse(`invalid request: ${at}.tool_call_id ${String(message.tool_call_id)} does not match a tool call of an earlier assistant message`);
      }
    }
    if (message.content === undefined) refuse(`invalid request: ${at}.content is required`);
    const text = contentText(message.content, role, at);
    if (role === 'user' && text === '' && typeof message.content === 'string') refuse(`invalid request: ${at}: message must be at least 1 token long`);
    chars += text.length;
    if (role === 'user') lastUserText = text;
  });
  return { lastUserText, chars };
}

function checkChat(body: Json): { lastUserText: string; chars: number } {
  unknownFields(body, CHAT_FIELDS, '');
  if (typeof body.model !== 'string' || body.model === '') refuse('invalid request: model is required');
  if (body.stream !== undefined && typeof body.stream !== 'boolean') refuse('invalid request: stream must be a boolean');
  const range = (field: string, min: number, max: number) => {
    const value = body[field];
    if (value !== undefined && (typeof value !== 'number' || value < min || value > max)) refuse(`invalid request: ${field} must be between ${min} and ${max}`);
  };
  range('p', 0.01, 0.99);
  range('k', 0, 500);
  range('frequency_penalty', 0, 1);
  range('presence_penalty', 0, 1);
  range('temperature', 0, Number.MAX_VALUE);
  if (body.max_tokens !== undefined && (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1)) refuse('invalid request: max_tokens must be a positive integer');
  if (body.stop_sequences !== undefined && (!Array.isArray(body.stop_sequences) || body.stop_sequences.length > 5 || body.stop_sequences.some((s) => typeof s !== 'string'))) {
    refuse('invalid request: stop_sequences must be a list of up to 5 strings');
  }
  let chars = 0;
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) refuse('invalid request: tools must be a list');
    (body.tools as unknown[]).forEach((tool, i) => {
      if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function)) return refuse(`invalid request: tools[${i}] must be a function tool`);
      unknownFields(tool, new Set(['type', 'function']), `tools[${i}].`);
      unknownFields(tool.function, new Set(['name', 'description', 'parameters']), `tools[${i}].function.`);
      if (typeof tool.function.name !== 'string' || !isObject(tool.function.parameters)) refuse(`invalid request: tools[${i}].function needs a name and parameters`);
      chars += JSON.stringify(tool).length;
    });
  }
  if (body.tool_choice !== undefined) {
    if (body.tool_choice !== 'REQUIRED' && body.tool_choice !== 'NONE') refuse('invalid request: tool_choice must be REQUIRED or NONE');
    if (!Array.isArray(body.tools) || body.tools.length === 0) refuse('invalid request: tool_choice requires tools');
  }
  if (body.response_format !== undefined) {
    const format = isObject(body.response_format) ? body.response_format : refuse('invalid request: response_format must be an object');
    if (format.type !== 'text' && format.type !== 'json_object') refuse('invalid request: response_format.type must be text or json_object');
    unknownFields(format, new Set(['type', 'json_schema']), 'response_format.');
  }
  const messages = checkMessages(body.messages);
  return { lastUserText: messages.lastUserText, chars: chars + messages.chars };
}

function checkEmbed(body: Json): string[] {
  unknownFields(body, EMBED_FIELDS, '');
  if (typeof body.model !== 'string' || body.model === '') refuse('invalid request: model is required');
  if (typeof body.input_type !== 'string' || !INPUT_TYPES.has(body.input_type)) refuse('invalid request: valid input_type must be provided with the provided model');
  if (!Array.isArray(body.embedding_types) || body.embedding_types.length === 0 || body.embedding_types.some((t) => !EMBEDDING_TYPES.has(String(t)))) {
    refuse('invalid request: embedding_types is required');
  }
  if (!Array.isArray(body.texts) || body.texts.length === 0 || body.texts.some((t) => typeof t !== 'string')) refuse('invalid request: texts must be a non-empty list of strings');
  if ((body.texts as unknown[]).length > 96) refuse('invalid request: texts must contain at most 96 texts');
  return body.texts as string[];
}

/** A deterministic unit-ish vector of a text. */
function vector(text: string, dimensions: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < dimensions; i++) out.push(Math.sin(text.length + i * 7 + (text.charCodeAt(i % Math.max(1, text.length)) || 0)));
  return out;
}

export async function startCohereMock(options: { apiKey: string }): Promise<CohereMock> {
  let calls = 0;
  let tokenTotal = 0;
  let sequence = 0;
  let refusals: string[] = [];
  let requests: CohereRecordedRequest[] = [];
  const behaviours = new Map<string, Partial<CohereMockBehaviour>>();

  const send = (res: ServerResponse, status: number, payload: unknown): void => {
    const text = JSON.stringify(payload);
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `mock-${++sequence}`, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const sendError = (res: ServerResponse, status: number, message: string): void => send(res, status, { id: `err-${++sequence}`, message });

  function behaviourOf(model: unknown): CohereMockBehaviour {
    return { ...DEFAULTS, ...behaviours.get('*'), ...behaviours.get(String(model)) };
  }

  function answerChat(body: Json, prompt: { lastUserText: string; chars: number }, req: IncomingMessage, res: ServerResponse): void {
    const b = behaviourOf(body.model);
    calls += 1;
    if (b.status >= 300) {
      const message = b.status === 429 ? 'You are past the per minute request limit, please wait and try again later.' : b.status >= 500 ? 'internal server error, this has been reported to our developers' : `mock refused with ${b.status}`;
      return sendError(res, b.status, b.echoCredentials ? `${message} (request had authorization: ${req.headers.authorization})` : message);
    }
    const text = b.toolCall === null ? (b.reply !== '' ? b.reply : `Mock Cohere answers: ${prompt.lastUserText.slice(0, 200)}`) : '';
    const plan = b.toolCall === null ? '' : `I will call ${b.toolCall.name}.`;
    const args = b.toolCall === null ? '' : JSON.stringify(b.toolCall.arguments);
    const billedInput = tokens(prompt.chars);
    const output = tokens(text.length + plan.length + args.length);
    const usage = {
      billed_units: { input_tokens: billedInput, output_tokens: output },
      tokens: { input_tokens: billedInput + b.templateTokens, output_tokens: output },
    };
    tokenTotal += billedInput + b.templateTokens + output;
    const id = `cohere-mock-${++sequence}`;
    const finish = b.toolCall === null ? 'COMPLETE' : 'TOOL_CALL';
    const toolCall = b.toolCall === null ? null : { id: `${b.toolCall.name}_mock${sequence}`, type: 'function', function: { name: b.toolCall.name, arguments: args } };
    if (body.stream !== true) {
      const message = toolCall === null ? { role: 'assistant', content: [{ type: 'text', text }] } : { role: 'assistant', tool_plan: plan, tool_calls: [toolCall] };
      return send(res, 200, { id, finish_reason: finish, message, usage });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': `mock-${sequence}` });
    const event = (type: string, data: Json): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    res.write(event('message-start', { id, delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } }));
    if (toolCall === null) {
      res.write(event('content-start', { index: 0, delta: { message: { content: { type: 'text', text: '' } } } }));
      for (const [i, word] of text.split(/(?<=\s)/).entries()) {
        res.write(event('content-delta', { index: 0, delta: { message: { content: { text: word } } } }));
        if (i === 0 && b.cutStream) return void req.socket.destroy();
      }
      res.write(event('content-end', { index: 0 }));
    } else {
      for (const word of plan.split(/(?<=\s)/)) res.write(event('tool-plan-delta', { delta: { message: { tool_plan: word } } }));
      res.write(event('tool-call-start', { index: 0, delta: { message: { tool_calls: { ...toolCall, function: { name: toolCall.function.name, arguments: '' } } } } }));
      const half = Math.ceil(args.length / 2);
      for (const piece of [args.slice(0, half), args.slice(half)]) res.write(event('tool-call-delta', { index: 0, delta: { message: { tool_calls: { function: { arguments: piece } } } } }));
      res.write(event('tool-call-end', { index: 0 }));
    }
    const end = b.streamError ? { error: 'internal error during generation', finish_reason: 'ERROR', usage } : { finish_reason: finish, usage };
    // The terminator Cohere's SDKs read (eventShape sse, streamTerminator "[DONE]").
    res.end(`${event('message-end', { delta: end })}data: [DONE]\n\n`);
  }

  function answerEmbed(body: Json, texts: string[], res: ServerResponse): void {
    const b = behaviourOf(body.model);
    calls += 1;
    if (b.status >= 300) return sendError(res, b.status, b.status === 429 ? 'You are past the per minute request limit, please wait and try again later.' : `mock refused with ${b.status}`);
    const dimensions = typeof body.output_dimension === 'number' ? body.output_dimension : 8;
    const billed = tokens(texts.join('').length);
    tokenTotal += billed;
    send(res, 200, {
      id: `embed-mock-${++sequence}`,
      embeddings: { float: texts.map((text) => vector(text, dimensions)) },
      texts,
      meta: { api_version: { version: '2' }, billed_units: { input_tokens: billed } },
      response_type: 'embeddings_by_type',
    });
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    try {
      if (req.method !== 'POST' || (path !== '/v2/chat' && path !== '/v2/embed')) refuse(`Not found: ${req.method} ${path}`, 404);
      if (req.headers.authorization !== `Bearer ${options.apiKey}`) refuse('invalid api token', 401);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        refuse('invalid request: could not parse the request body as JSON');
      }
      if (!isObject(body)) refuse('invalid request: the body must be a JSON object');
      if (path === '/v2/chat') {
        const prompt = checkChat(body as Json);
        requests.push({ path, headers: req.headers, body: body as Json });
        return answerChat(body as Json, prompt, req, res);
      }
      const texts = checkEmbed(body as Json);
      requests.push({ path, headers: req.headers, body: body as Json });
      answerEmbed(body as Json, texts, res);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      refusals.push(err.message);
      sendError(res, err.status, err.message);
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
    get tokens() {
      return tokenTotal;
    },
    behave(model, behaviour) {
      behaviours.set(model, { ...behaviours.get(model), ...behaviour });
    },
    reset() {
      calls = 0;
      tokenTotal = 0;
      refusals = [];
      requests = [];
      behaviours.clear();
    },
    close: () => server.close(),
  };
}
