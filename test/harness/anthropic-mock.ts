import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { listenMock } from './mock-http.js';

/*
 * A counting mock of Anthropic's Messages API (POST /v1/messages, JSON and
 * SSE with `event:` names; POST /v1/messages/count_tokens). Its request checks
 * follow Anthropic's API reference, so a test passes only when the gateway
 * sends what Anthropic would accept: it refuses a wrong x-api-key, a missing
 * anthropic-version, a missing max_tokens, fields Anthropic does not know,
 * `system` as a message role, a tool_result that does not answer the tool_use
 * just before it, and the like, with Anthropic's error shape.
 */

export interface AnthropicMockBehaviour {
  /** Reply text; default an echo of the last user text. */
  reply: string;
  /** Answer with a tool_use block calling this tool (after the text, when there is one). */
  toolCall: { name: string; input: Record<string, unknown> } | null;
  /** Answer with this status and Anthropic's error body for it. */
  status: number;
  /** Usage fields a prompt-cached request reports. */
  cacheReadTokens: number;
  cacheCreationTokens: number;
  /** Output tokens billed; default a quarter of the reply's characters (and the tool input's). */
  outputTokens: number | null;
  /** Send an `error` event after the first text delta (an overloaded stream). */
  streamError: boolean;
}

export interface AnthropicRecordedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface AnthropicMock {
  /** The api_base to configure (no /v1). */
  readonly url: string;
  /** POST /v1/messages calls that passed the checks and were answered (errors by behaviour included). */
  readonly calls: number;
  readonly countTokensCalls: number;
  /** Requests the mock refused, with the message it gave (a test expects none). */
  readonly refusals: readonly string[];
  readonly requests: readonly AnthropicRecordedRequest[];
  /** Tokens billed in total (input incl. cache + output) over every answered call. */
  readonly billedTokens: number;
  behave(model: string, behaviour: Partial<AnthropicMockBehaviour>): void;
  reset(): void;
  close(): Promise<void>;
}

const DEFAULTS: AnthropicMockBehaviour = {
  reply: '',
  toolCall: null,
  status: 200,
  cacheReadTokens: 0,
  cacheCreationTokens: 0,
  outputTokens: null,
  streamError: false,
};

const MESSAGE_FIELDS = new Set([
  'model', 'messages', 'max_tokens', 'system', 'metadata', 'stop_sequences', 'stream', 'temperature', 'top_p', 'top_k',
  'tools', 'tool_choice', 'thinking', 'service_tier', 'container', 'mcp_servers', 'context_management',
  'cache_control', 'diagnostics', 'inference_geo', 'output_config', 'speed', 'user_profile_id', 'workspace_id',
]);
const COUNT_FIELDS = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'mcp_servers', 'context_management']);
const BLOCK_TYPES = new Set(['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking', 'search_result']);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

const ERROR_TYPE: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
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

function blocksOf(content: unknown, at: string): Json[] {
  if (typeof content === 'string') {
    if (content === '') refuse(`${at}: text content blocks must be non-empty`);
    return [{ type: 'text', text: content }];
  }
  if (!Array.isArray(content)) return refuse(`${at}: Input should be a valid list`);
  return content.map((block, i) => {
    if (!isObject(block) || typeof block.type !== 'string' || !BLOCK_TYPES.has(block.type)) refuse(`${at}.${i}: unknown content block type`);
    const b = block as Json;
    if (b.type === 'text' && (typeof b.text !== 'string' || b.text === '')) refuse(`${at}.${i}: text content blocks must be non-empty`);
    if (b.type === 'image') {
      const source = isObject(b.source) ? b.source : refuse(`${at}.${i}.source: Field required`);
      if (source.type === 'base64' && !IMAGE_TYPES.has(String(source.media_type))) refuse(`${at}.${i}.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`);
      if (source.type === 'url' && typeof source.url !== 'string') refuse(`${at}.${i}.source.url: Field required`);
      if (source.type !== 'base64' && source.type !== 'url') refuse(`${at}.${i}.source.type: Input should be 'base64' or 'url'`);
    }
    if (b.type === 'tool_use' && (typeof b.id !== 'string' || typeof b.name !== 'string' || !isObject(b.input))) refuse(`${at}.${i}: tool_use needs id, name and an object input`);
    if (b.type === 'tool_result' && typeof b.tool_use_id !== 'string') refuse(`${at}.${i}.tool_use_id: Field required`);
    return b;
  });
}

function checkMessages(messages: unknown): { lastUserText: string; chars: number } {
  if (!Array.isArray(messages)) return refuse('messages: Field required');
  if (messages.length === 0) refuse('messages: at least one message is required');
  let lastUserText = '';
  let chars = 0;
  let pendingToolUses: string[] = [];
  messages.forEach((message, i) => {
    if (!isObject(message)) refuse(`messages.${i}: Input should be an object`);
    const m = message as Json;
    if (m.role === 'system') refuse(`messages.${i}: Unexpected role "system". The Messages API accepts a top-level \`system\` parameter, not "system" as an input message role.`);
    if (m.role !== 'user' && m.role !== 'assistant') refuse(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    const blocks = blocksOf(m.content, `messages.${i}.content`);
    const results = blocks.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id as string);
    if (pendingToolUses.length > 0) {
      const missing = pendingToolUses.filter((id) => !results.includes(id));
      if (m.role !== 'user' || missing.length > 0) {
        refuse(`messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
      }
      const firstOther = blocks.findIndex((b) => b.type !== 'tool_result');
      if (firstOther !== -1 && blocks.slice(firstOther).some((b) => b.type === 'tool_result')) refuse(`messages.${i}: tool_result blocks must come first in the message`);
    }
    for (const id of results) {
      if (!pendingToolUses.includes(id)) refuse(`messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`);
    }
    pendingToolUses = m.role === 'assistant' ? blocks.filter((b) => b.type === 'tool_use').map((b) => b.id as string) : [];
    for (const b of blocks) {
      const text = b.type === 'text' ? String(b.text) : b.type === 'tool_result' ? JSON.stringify(b.content ?? '') : b.type === 'tool_use' ? JSON.stringify(b.input) : '';
      chars += text.length;
      if (m.role === 'user' && b.type === 'text') lastUserText = String(b.text);
    }
  });
  if (pendingToolUses.length > 0) refuse('messages: the final assistant message has tool_use blocks without tool_result blocks');
  return { lastUserText, chars };
}

function checkBody(body: Json, count: boolean): { lastUserText: string; chars: number } {
  const allowed = count ? COUNT_FIELDS : MESSAGE_FIELDS;
  for (const key of Object.keys(body)) if (!allowed.has(key)) refuse(`${key}: Extra inputs are not permitted`);
  if (typeof body.model !== 'string' || body.model === '') refuse('model: Field required');
  if (!count && (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1)) refuse('max_tokens: Field required');
  if (body.temperature !== undefined && (typeof body.temperature !== 'number' || body.temperature < 0 || body.temperature > 1)) refuse('temperature: Input should be less than or equal to 1');
  if (body.top_k !== undefined && !Number.isInteger(body.top_k)) refuse('top_k: Input should be a valid integer');
  if (body.stop_sequences !== undefined && (!Array.isArray(body.stop_sequences) || body.stop_sequences.some((s) => typeof s !== 'string'))) refuse('stop_sequences: Input should be a valid list of strings');
  if (body.metadata !== undefined && (!isObject(body.metadata) || Object.keys(body.metadata).some((k) => k !== 'user_id'))) refuse('metadata: Extra inputs are not permitted');
  let chars = 0;
  if (body.system !== undefined) {
    if (typeof body.system === 'string') chars += body.system.length;
    else blocksOf(body.system, 'system').forEach((b) => (b.type === 'text' ? (chars += String(b.text).length) : refuse('system: only text blocks')));
  }
  const names: string[] = [];
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) refuse('tools: Input should be a valid list');
    (body.tools as unknown[]).forEach((tool, i) => {
      if (!isObject(tool) || typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name)) refuse(`tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
      const t = tool as Json;
      if (!isObject(t.input_schema) || t.input_schema.type !== 'object') refuse(`tools.${i}.input_schema: Input should be an object schema`);
      names.push(t.name as string);
      chars += JSON.stringify(t).length;
    });
  }
  if (body.tool_choice !== undefined) {
    const choice = isObject(body.tool_choice) ? body.tool_choice : refuse('tool_choice: Input should be an object');
    if (!['auto', 'any', 'tool', 'none'].includes(String(choice.type))) refuse("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
    if (choice.type === 'tool' && !names.includes(String(choice.name))) refuse(`tool_choice.name: tool ${String(choice.name)} is not in tools`);
  }
  if (body.thinking !== undefined) {
    const thinking = isObject(body.thinking) ? body.thinking : refuse('thinking: Input should be an object');
    if (thinking.type === 'enabled') {
      const budget = thinking.budget_tokens;
      if (typeof budget !== 'number' || budget < 1024) refuse('thinking.budget_tokens: Input should be greater than or equal to 1024');
      if (!count && (budget as number) >= (body.max_tokens as number)) refuse('`max_tokens` must be greater than `thinking.budget_tokens`');
    }
  }
  const messages = checkMessages(body.messages);
  return { lastUserText: messages.lastUserText, chars: chars + messages.chars };
}

const tokens = (chars: number): number => Math.max(1, Math.ceil(chars / 4));

export async function startAnthropicMock(options: { apiKey: string }): Promise<AnthropicMock> {
  let calls = 0;
  let countTokensCalls = 0;
  let billed = 0;
  let sequence = 0;
  let refusals: string[] = [];
  let requests: AnthropicRecordedRequest[] = [];
  const behaviours = new Map<string, Partial<AnthropicMockBehaviour>>();

  const send = (res: ServerResponse, status: number, payload: unknown): void => {
    const text = JSON.stringify(payload);
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_mock_${++sequence}`, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const sendError = (res: ServerResponse, status: number, message: string): void =>
    send(res, status, { type: 'error', error: { type: ERROR_TYPE[status] ?? 'api_error', message } });

  function answer(body: Json, prompt: { lastUserText: string; chars: number }, res: ServerResponse): void {
    const b = { ...DEFAULTS, ...behaviours.get('*'), ...behaviours.get(String(body.model)) };
    calls += 1;
    if (b.status >= 300) return sendError(res, b.status, b.status === 529 ? 'Overloaded' : `Mock refused with ${b.status}`);
    const text = b.reply !== '' ? b.reply : `Mock Claude answers: ${prompt.lastUserText.slice(0, 200)}`;
    const content: Json[] = [{ type: 'text', text }];
    if (b.toolCall !== null) content.push({ type: 'tool_use', id: `toolu_mock${sequence + 1}`, name: b.toolCall.name, input: b.toolCall.input });
    const input = tokens(prompt.chars);
    const output = b.outputTokens ?? tokens(text.length + (b.toolCall === null ? 0 : JSON.stringify(b.toolCall.input).length));
    const usage = { input_tokens: input, output_tokens: output, cache_creation_input_tokens: b.cacheCreationTokens, cache_read_input_tokens: b.cacheReadTokens };
    billed += input + output + b.cacheCreationTokens + b.cacheReadTokens;
    const stopReason = b.toolCall !== null ? 'tool_use' : 'end_turn';
    const id = `msg_mock${++sequence}`;
    if (body.stream !== true) {
      return send(res, 200, { id, type: 'message', role: 'assistant', model: body.model, content, stop_reason: stopReason, stop_sequence: null, usage });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_mock_${sequence}` });
    const event = (name: string, data: Json): string => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
    let out = event('message_start', {
      message: { id, type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
    });
    out += event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    out += event('ping', {});
    const words = text.split(/(?<=\s)/);
    for (const [i, word] of words.entries()) {
      out += event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: word } });
      if (i === 0 && b.streamError) {
        res.end(out + event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }));
        return;
      }
    }
    out += event('content_block_stop', { index: 0 });
    if (b.toolCall !== null) {
      const json = JSON.stringify(b.toolCall.input);
      const half = Math.ceil(json.length / 2);
      out += event('content_block_start', { index: 1, content_block: { type: 'tool_use', id: content[1]!.id, name: b.toolCall.name, input: {} } });
      out += event('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '' } });
      out += event('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: json.slice(0, half) } });
      out += event('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: json.slice(half) } });
      out += event('content_block_stop', { index: 1 });
    }
    out += event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: output } });
    out += event('message_stop', {});
    res.end(out);
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const count = path === '/v1/messages/count_tokens';
    try {
      if (req.method !== 'POST' || (path !== '/v1/messages' && !count)) refuse(`Not found: ${req.method} ${path}`, 404);
      if (req.headers['x-api-key'] !== options.apiKey) refuse('invalid x-api-key', 401);
      if (req.headers['anthropic-version'] === undefined) refuse('anthropic-version: header is required');
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        refuse('There was an issue with the request body: it is not valid JSON');
      }
      if (!isObject(body)) refuse('The request body must be a JSON object');
      const prompt = checkBody(body as Json, count);
      requests.push({ path, headers: req.headers, body: body as Json });
      if (count) {
        countTokensCalls += 1;
        return send(res, 200, { input_tokens: tokens(prompt.chars) });
      }
      answer(body as Json, prompt, res);
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
    get countTokensCalls() {
      return countTokensCalls;
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
    behave(model, behaviour) {
      behaviours.set(model, { ...behaviours.get(model), ...behaviour });
    },
    reset() {
      calls = 0;
      countTokensCalls = 0;
      billed = 0;
      refusals = [];
      requests = [];
      behaviours.clear();
    },
    close: () => server.close(),
  };
}
