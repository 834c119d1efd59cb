import { Errors } from '@switchyard/contracts';
import { isRecord } from '../usage.js';

/*
 * A Responses API request as an OpenAI chat completions request, for a
 * deployment that serves chat but not /v1/responses. What chat has no way to
 * say (built-in tools, stored state, reasoning items, file inputs) is refused
 * with a 400 naming the field, before anything is sent; what only changes how
 * OpenAI stores or reports the response (store, include, truncation) is left out.
 */

type Json = Record<string, unknown>;

const bad = (message: string, param: string) => Errors.invalidRequest(message, param, 'unsupported_by_provider');

/** The chat parts of one input content list (input_text, input_image; output_text and refusal of an assistant's earlier turn). */
function chatParts(content: readonly Json[], at: string): Json[] {
  return content.map((part, i) => {
    switch (part.type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        return { type: 'text', text: String(part.text ?? '') };
      case 'refusal':
        return { type: 'text', text: String(part.refusal ?? '') };
      case 'input_image': {
        if (typeof part.image_url !== 'string') throw bad('an input_image needs an image_url when the deployment is not OpenAI (file_id refers to OpenAI\'s file store)', `${at}[${i}].image_url`);
        const detail = typeof part.detail === 'string' ? { detail: part.detail } : {};
        return { type: 'image_url', image_url: { url: part.image_url, ...detail } };
      }
      default:
        throw bad(`content of type "${String(part.type)}" cannot be sent to a deployment that does not serve the Responses API`, `${at}[${i}]`);
    }
  });
}

function messageOf(item: Json, at: string): Json {
  const role = item.role === 'developer' ? 'system' : String(item.role);
  if (typeof item.content === 'string') return { role, content: item.content };
  const parts = chatParts(item.content as Json[], `${at}.content`);
  // System and assistant messages take text only in chat; a user's may mix in images.
  const textOnly = parts.every((part) => part.type === 'text');
  if (!textOnly && role !== 'user') throw bad(`a ${String(item.role)} message can carry text only`, `${at}.content`);
  return { role, content: textOnly ? parts.map((part) => part.text).join('') : parts };
}

function toolOutputText(output: unknown, at: string): string {
  if (typeof output === 'string') return output;
  return chatParts(output as Json[], at)
    .map((part) => {
      if (part.type !== 'text') throw bad('a function_call_output sent to a chat deployment can carry text only', at);
      return String(part.text);
    })
    .join('');
}

/** Where a chat message came from in the Responses body: its item's path, and the path of each of its tool calls. */
interface Origin {
  path: string;
  toolCalls: string[];
}

/** The input items as chat messages: consecutive function calls join the assistant turn before them, as chat wants. */
function chatMessages(input: unknown, origins: Origin[] = []): Json[] {
  if (input === undefined || input === null) return [];
  if (typeof input === 'string') {
    origins.push({ path: 'input', toolCalls: [] });
    return [{ role: 'user', content: input }];
  }
  const messages: Json[] = [];
  (input as Json[]).forEach((item, i) => {
    const at = `input[${i}]`;
    switch (item.type ?? 'message') {
      case 'message':
        messages.push(messageOf(item, at));
        origins.push({ path: at, toolCalls: [] });
        return;
      case 'function_call': {
        const call = { id: String(item.call_id), type: 'function', function: { name: String(item.name), arguments: String(item.arguments) } };
        const last = messages.at(-1);
        if (last?.role === 'assistant') {
          last.tool_calls = [...((last.tool_calls as Json[] | undefined) ?? []), call];
          origins.at(-1)!.toolCalls.push(at);
        } else {
          messages.push({ role: 'assistant', content: null, tool_calls: [call] });
          origins.push({ path: at, toolCalls: [at] });
        }
        return;
      }
      case 'function_call_output':
        messages.push({ role: 'tool', tool_call_id: String(item.call_id), content: toolOutputText(item.output, `${at}.output`) });
        origins.push({ path: at, toolCalls: [] });
        return;
      // The model's own reasoning from an earlier turn: a chat server cannot take it back.
      case 'reasoning':
        return;
      case 'item_reference':
        throw bad('item_reference needs the response store of an OpenAI deployment; send the item itself', at);
      default:
        throw bad(`input items of type "${String(item.type)}" cannot be sent to a deployment that does not serve the Responses API`, at);
    }
  });
  return messages;
}

function chatTools(tools: unknown): Json[] | undefined {
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  return (tools as Json[]).map((tool, i) => {
    if (tool.type !== 'function') throw bad(`the built-in tool "${String(tool.type)}" runs at OpenAI only; a chat deployment takes function tools`, `tools[${i}]`);
    const fn: Json = { name: tool.name, parameters: tool.parameters ?? { type: 'object', properties: {} } };
    if (typeof tool.description === 'string') fn.description = tool.description;
    if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
    return { type: 'function', function: fn };
  });
}

function chatToolChoice(choice: unknown): unknown {
  if (choice === undefined || typeof choice === 'string') return choice;
  const forced = choice as Json;
  if (forced.type === 'function') return { type: 'function', function: { name: String(forced.name) } };
  throw bad(`a tool_choice of type "${String(forced.type)}" cannot be sent to a chat deployment`, 'tool_choice');
}

function responseFormat(text: unknown): Json | undefined {
  const format = isRecord(text) && isRecord(text.format) ? text.format : null;
  if (format === null || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  const schema: Json = { name: format.name, schema: format.schema };
  if (typeof format.description === 'string') schema.description = format.description;
  if (typeof format.strict === 'boolean') schema.strict = format.strict;
  return { type: 'json_schema', json_schema: schema };
}

/** Fields that only an OpenAI deployment can honour: refused rather than silently lost. */
const STATEFUL_FIELDS = [
  ['previous_response_id', 'previous_response_id needs the response store of an OpenAI deployment; send the conversation as input items'],
  ['conversation', 'conversation needs the conversation store of an OpenAI deployment; send the conversation as input items'],
  ['prompt', 'prompt templates are stored at OpenAI; send the instructions and input themselves'],
] as const;

/** A Responses API body (validated by the ingress) as an OpenAI chat body. */
export function responsesRequestToChat(body: Readonly<Json>): Json {
  for (const [field, message] of STATEFUL_FIELDS) if (body[field] !== undefined && body[field] !== null) throw bad(message, field);
  if (body.background === true) throw bad('background responses need an OpenAI deployment', 'background');
  const messages: Json[] = [];
  if (typeof body.instructions === 'string' && body.instructions !== '') messages.push({ role: 'system', content: body.instructions });
  messages.push(...chatMessages(body.input));
  if (!messages.some((message) => message.role !== 'system')) throw Errors.invalidRequest('input must contain at least one item', 'input');
  const out: Json = { model: body.model, messages };
  if (typeof body.max_output_tokens === 'number') out.max_tokens = body.max_output_tokens;
  for (const key of ['temperature', 'top_p', 'stream', 'user'] as const) {
    if (body[key] !== undefined && body[key] !== null) out[key] = body[key];
  }
  const tools = chatTools(body.tools);
  // Chat refuses tool_choice and parallel_tool_calls without tools.
  if (tools !== undefined) {
    out.tools = tools;
    if (typeof body.parallel_tool_calls === 'boolean') out.parallel_tool_calls = body.parallel_tool_calls;
    const choice = chatToolChoice(body.tool_choice);
    if (choice !== undefined) out.tool_choice = choice;
  }
  const format = responseFormat(body.text);
  if (format !== undefined) out.response_format = format;
  if (isRecord(body.reasoning) && typeof body.reasoning.effort === 'string') out.reasoning_effort = body.reasoning.effort;
  return out;
}

/** A chat field's name in the Responses API, where the two differ (below the root: the same path). */
const RENAMED: ReadonlyArray<[chat: string, responses: string]> = [
  ['max_tokens', 'max_output_tokens'],
  ['response_format.json_schema', 'text.format'],
  ['response_format', 'text.format'],
  ['reasoning_effort', 'reasoning.effort'],
];

/** A chat message's field in the terms of the Responses item it came from. */
function messageParam(origin: Origin, rest: string): string {
  const call = /^\.tool_calls\[(\d+)\](?:\.function)?(.*)$/.exec(rest);
  if (call !== null) return `${origin.toolCalls[Number(call[1])] ?? origin.path}${call[2]}`;
  if (rest === '.tool_call_id') return `${origin.path}.call_id`;
  // A message's content list maps part for part (a text-only one became one string: it has no parts to name).
  if (rest.startsWith('.content') && origin.path !== 'input' && origin.path !== 'instructions') return `${origin.path}${rest}`;
  return origin.path;
}

/**
 * The path of a field of the chat body `responsesRequestToChat(body)` made,
 * in the terms of the Responses body: what a 400 of the provider's chat
 * translation names (`messages[2].content[1]`) is a field the client sent
 * (`input[1].content[1]`), not one it never saw.
 */
export function responsesParamOfChat(param: string, body: Readonly<Json>): string {
  const message = /^messages\[(\d+)\](.*)$/.exec(param);
  if (message !== null) {
    const origins: Origin[] = [];
    if (typeof body.instructions === 'string' && body.instructions !== '') origins.push({ path: 'instructions', toolCalls: [] });
    chatMessages(body.input, origins);
    const origin = origins[Number(message[1])];
    return origin === undefined ? 'input' : messageParam(origin, message[2]!);
  }
  if (param === 'messages') return 'input';
  const tool = /^tools\[(\d+)\]\.function(.*)$/.exec(param);
  if (tool !== null) return `tools[${tool[1]}]${tool[2]}`;
  for (const [chat, responses] of RENAMED) if (param === chat || param.startsWith(`${chat}.`)) return `${responses}${param.slice(chat.length)}`;
  return param;
}
