import type { IncomingMessage, ServerResponse } from 'node:http';

/*
 * OpenAI's Responses API on the counting mock provider (mock-provider.ts
 * routes /v1/responses here, and Azure's /openai/v1/responses): it refuses
 * what OpenAI refuses (unknown parameters such as chat's max_tokens or
 * stream_options.include_usage, a max_output_tokens below 16, a
 * function_call_output without its call, an unknown previous_response_id),
 * stores what it answers unless `store: false`, per API key, as OpenAI
 * stores per project, and serves GET and DELETE of what it stored.
 */

type Json = Record<string, unknown>;

/** The top-level fields OpenAI's POST /v1/responses takes; anything else is an "Unknown parameter" 400. */
const FIELDS = new Set([
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_output_tokens', 'max_tool_calls',
  'temperature', 'top_p', 'top_logprobs', 'text', 'metadata', 'store', 'previous_response_id', 'stream', 'stream_options',
  'user', 'safety_identifier', 'prompt_cache_key', 'reasoning', 'include', 'truncation', 'background', 'service_tier',
  'prompt', 'conversation',
]);
const ITEM_TYPES = new Set(['message', 'function_call', 'function_call_output', 'reasoning', 'item_reference']);

export interface ResponsesBehaviour {
  reply: string;
  streamChunks: number;
  honourMaxTokens: boolean;
  /** Answer with a call of this function tool (when the request offers tools) instead of text. */
  toolCall: { name: string; arguments: string } | null;
  /** Destroy the socket after this many text deltas of a stream (a provider dying mid-stream). */
  cutStreamAfter: number;
}

export class ResponsesRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  body(): Json {
    return { error: { message: this.message, type: 'invalid_request_error', param: this.param, code: this.code } };
  }
}

const refuse = (message: string, param: string | null, code: string | null = null): never => {
  throw new ResponsesRefusal(400, message, param, code);
};

interface Stored {
  response: Json;
  owner: string;
  /** The call ids of function calls in this response and the ones before it: what a function_call_output may answer. */
  callIds: Set<string>;
  chars: number;
}

const tokens = (chars: number): number => Math.ceil(chars / 4);
let sequence = 0;
const hex = (): string => `${Date.now().toString(16)}${(++sequence).toString(16).padStart(8, '0')}`.padEnd(48, '0');

function itemText(item: Json): string {
  if (typeof item.content === 'string') return item.content;
  if (Array.isArray(item.content)) return (item.content as Json[]).map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
  if (item.type === 'function_call_output') return typeof item.output === 'string' ? item.output : JSON.stringify(item.output);
  if (item.type === 'function_call') return `${String(item.name)}${String(item.arguments)}`;
  return '';
}

function check(body: Json, previous: Stored | null): { echo: string; chars: number; callIds: Set<string> } {
  for (const key of Object.keys(body)) {
    if (key === 'max_tokens' || key === 'max_completion_tokens') refuse(`Unsupported parameter: '${key}'. In the Responses API, this parameter has moved to 'max_output_tokens'.`, key, 'unsupported_parameter');
    if (!FIELDS.has(key)) refuse(`Unknown parameter: '${key}'.`, key, 'unknown_parameter');
  }
  if (typeof body.model !== 'string' || body.model === '') refuse("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  const options = body.stream_options as Json | undefined;
  if (options !== undefined) {
    if (body.stream !== true) refuse("Invalid value for 'stream_options': only allowed when 'stream' is true.", 'stream_options');
    for (const key of Object.keys(options)) if (key !== 'include_obfuscation') refuse(`Unknown parameter: 'stream_options.${key}'.`, `stream_options.${key}`, 'unknown_parameter');
  }
  if (typeof body.max_output_tokens === 'number' && body.max_output_tokens < 16) {
    refuse(`Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got ${body.max_output_tokens} instead.`, 'max_output_tokens', 'integer_below_min_value');
  }
  const callIds = new Set(previous?.callIds ?? []);
  let chars = (previous?.chars ?? 0) + (typeof body.instructions === 'string' ? body.instructions.length : 0);
  let echo = '';
  const items: Json[] = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : Array.isArray(body.input) ? (body.input as Json[]) : [];
  items.forEach((item, i) => {
    const type = String(item.type ?? 'message');
    if (!ITEM_TYPES.has(type)) refuse(`Invalid value: '${type}'. Supported values are: ${[...ITEM_TYPES].join(', ')}.`, `input[${i}].type`, 'invalid_value');
    if (type === 'function_call') callIds.add(String(item.call_id));
    if (type === 'function_call_output' && !callIds.has(String(item.call_id))) refuse(`No tool call found for function call output with call_id ${String(item.call_id)}.`, 'input', null);
    const text = itemText(item);
    chars += text.length;
    if (type === 'message' && item.role === 'user') echo = text;
  });
  if (Array.isArray(body.tools)) {
    (body.tools as Json[]).forEach((tool, i) => {
      if (tool.type === 'function' && typeof tool.name !== 'string') refuse(`Missing required parameter: 'tools[${i}].name'.`, `tools[${i}].name`, 'missing_required_parameter');
    });
  }
  return { echo, chars, callIds };
}

function usageOf(input: number, output: number): Json {
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

function pieces(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, count)));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export interface ResponsesMock {
  /** POST /v1/responses; returns the tokens billed. Throws `ResponsesRefusal`. */
  create(body: Json, model: string, req: IncomingMessage, res: ServerResponse, b: ResponsesBehaviour, requestId: string, cut: () => void): number;
  /** GET or DELETE /v1/responses/{id}. */
  stored(method: 'GET' | 'DELETE', id: string, req: IncomingMessage, res: ServerResponse): void;
}

const ownerOf = (req: IncomingMessage): string => String(req.headers.authorization ?? req.headers['api-key'] ?? '');

function send(res: ServerResponse, status: number, payload: unknown, requestId: string): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-request-id': requestId });
  res.end(text);
}

export function createResponsesMock(): ResponsesMock {
  const store = new Map<string, Stored>();
  let requests = 0;
  return {
    create(body, model, req, res, b, requestId, cut) {
      const previousId = typeof body.previous_response_id === 'string' ? body.previous_response_id : null;
      const previous = previousId === null ? null : (store.get(previousId) ?? null);
      if (previousId !== null && (previous === null || previous.owner !== ownerOf(req))) {
        refuse(`Previous response with id '${previousId}' not found.`, 'previous_response_id', 'previous_response_not_found');
      }
      const prompt = check(body, previous);
      const id = `resp_${hex()}`;
      const offersTools = Array.isArray(body.tools) && body.tools.length > 0;
      const call = b.toolCall !== null && offersTools ? b.toolCall : null;
      let text = b.reply !== '' ? b.reply : `This is a mock response to: ${prompt.echo.slice(0, 200)}`;
      const limit = typeof body.max_output_tokens === 'number' ? body.max_output_tokens : null;
      if (b.honourMaxTokens && limit !== null) text = text.slice(0, limit * 4);
      const output: Json[] =
        call === null
          ? [{ id: `msg_${hex()}`, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] }]
          : [{ id: `fc_${hex()}`, type: 'function_call', status: 'completed', call_id: `call_mock${++requests}`, name: call.name, arguments: call.arguments }];
      const usage = usageOf(tokens(prompt.chars), tokens(call === null ? text.length : call.arguments.length));
      const created = Math.floor(Date.now() / 1000);
      const response: Json = {
        id, object: 'response', created_at: created, status: 'completed', completed_at: created, error: null, incomplete_details: null,
        instructions: body.instructions ?? null, max_output_tokens: body.max_output_tokens ?? null, model, output,
        parallel_tool_calls: body.parallel_tool_calls ?? true, previous_response_id: previousId, reasoning: { effort: null, summary: null },
        store: body.store !== false, temperature: body.temperature ?? 1, text: body.text ?? { format: { type: 'text' } },
        tool_choice: body.tool_choice ?? 'auto',
        tools: ((body.tools as Json[] | undefined) ?? []).map((tool) => ({ description: null, parameters: null, strict: true, ...tool })),
        top_p: body.top_p ?? 1, truncation: 'disabled', usage, user: null, metadata: body.metadata ?? {},
      };
      if (body.store !== false) {
        const callIds = new Set(prompt.callIds);
        for (const item of output) if (item.type === 'function_call') callIds.add(String(item.call_id));
        store.set(id, { response, owner: ownerOf(req), callIds, chars: prompt.chars + text.length });
      }
      const billed = (usage.total_tokens as number) ?? 0;
      if (body.stream !== true) {
        send(res, 200, response, requestId);
        return billed;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': requestId });
      let n = 0;
      let out = '';
      const event = (type: string, data: Json): void => {
        out += `event: ${type}\ndata: ${JSON.stringify({ type, ...data, sequence_number: n++ })}\n\n`;
      };
      const inProgress = { ...response, status: 'in_progress', completed_at: null, output: [], usage: null };
      event('response.created', { response: inProgress });
      event('response.in_progress', { response: inProgress });
      const item = output[0]!;
      if (call === null) {
        event('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } });
        event('response.content_part.added', { item_id: item.id, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
        for (const [index, piece] of pieces(text, b.streamChunks).entries()) {
          if (index >= b.cutStreamAfter) {
            // What was written reaches the gateway before the socket dies.
            res.write(out, () => setTimeout(cut, 20));
            return billed;
          }
          event('response.output_text.delta', { item_id: item.id, output_index: 0, content_index: 0, delta: piece, logprobs: [] });
        }
        event('response.output_text.done', { item_id: item.id, output_index: 0, content_index: 0, text, logprobs: [] });
        event('response.content_part.done', { item_id: item.id, output_index: 0, content_index: 0, part: { type: 'output_text', text, annotations: [], logprobs: [] } });
      } else {
        event('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', arguments: '' } });
        for (const piece of pieces(call.arguments, 2)) event('response.function_call_arguments.delta', { item_id: item.id, output_index: 0, delta: piece });
        event('response.function_call_arguments.done', { item_id: item.id, output_index: 0, name: call.name, arguments: call.arguments });
      }
      event('response.output_item.done', { output_index: 0, item });
      event('response.completed', { response });
      res.end(out);
      return billed;
    },
    stored(method, id, req, res) {
      const entry = store.get(id);
      const requestId = `req_mock_stored_${++requests}`;
      if (entry === undefined || entry.owner !== ownerOf(req)) {
        return send(res, 404, { error: { message: `Response with id '${id}' not found.`, type: 'invalid_request_error', param: null, code: null } }, requestId);
      }
      if (method === 'DELETE') {
        store.delete(id);
        return send(res, 200, { id, object: 'response', deleted: true }, requestId);
      }
      send(res, 200, entry.response, requestId);
    },
  };
}
