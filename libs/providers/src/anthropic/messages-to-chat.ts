import { Errors, type Usage } from '@switchyard/contracts';
import { isRecord, usageFrom } from '../usage.js';

/*
 * Anthropic's Messages API <-> OpenAI chat, for a /v1/messages request
 * routed to an OpenAI-compatible deployment: the inverse of request.ts and
 * response.ts. What has no OpenAI counterpart (thinking, cache_control,
 * top_k, documents) is dropped, and said so in the README.
 */

type Json = Record<string, unknown>;

const bad = (message: string, param: string) => Errors.invalidRequest(message, param, 'unsupported_by_provider');

function systemText(system: unknown): string {
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) return '';
  return system.filter((block): block is Json => isRecord(block) && block.type === 'text').map((block) => String(block.text ?? '')).join('\n');
}

function imagePart(block: Json, at: string): Json {
  const source = isRecord(block.source) ? block.source : {};
  if (source.type === 'base64') return { type: 'image_url', image_url: { url: `data:${String(source.media_type)};base64,${String(source.data)}` } };
  if (source.type === 'url' && typeof source.url === 'string') return { type: 'image_url', image_url: { url: source.url } };
  throw bad('an image block needs a base64 or url source', at);
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.filter((block): block is Json => isRecord(block) && block.type === 'text').map((block) => String(block.text ?? '')).join('');
}

function userMessages(content: unknown, at: string): Json[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const out: Json[] = [];
  const parts: Json[] = [];
  (content as Json[]).forEach((block, i) => {
    if (block.type === 'text') parts.push({ type: 'text', text: String(block.text ?? '') });
    else if (block.type === 'image') parts.push(imagePart(block, `${at}[${i}]`));
    // OpenAI wants each tool result as its own message, right after the assistant's calls.
    else if (block.type === 'tool_result') out.push({ role: 'tool', tool_call_id: String(block.tool_use_id), content: toolResultText(block.content) });
    else throw bad(`content blocks of type "${String(block.type)}" cannot be sent to an OpenAI-compatible deployment`, `${at}[${i}]`);
  });
  if (parts.length > 0) out.push({ role: 'user', content: parts.every((part) => part.type === 'text') ? parts.map((part) => part.text).join('') : parts });
  return out;
}

function assistantMessage(content: unknown): Json {
  if (typeof content === 'string') return { role: 'assistant', content };
  let text = '';
  const calls: Json[] = [];
  for (const block of content as Json[]) {
    if (block.type === 'text') text += String(block.text ?? '');
    else if (block.type === 'tool_use') calls.push({ id: String(block.id), type: 'function', function: { name: String(block.name), arguments: JSON.stringify(block.input ?? {}) } });
    // thinking blocks: an OpenAI server has no way to take them back.
  }
  return { role: 'assistant', content: text === '' && calls.length > 0 ? null : text, ...(calls.length > 0 ? { tool_calls: calls } : {}) };
}

function toolChoiceOf(choice: Json): Json {
  const parallel = choice.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  switch (choice.type) {
    case 'any':
      return { tool_choice: 'required', ...parallel };
    case 'none':
      return { tool_choice: 'none' };
    case 'tool':
      return { tool_choice: { type: 'function', function: { name: String(choice.name) } }, ...parallel };
    default:
      return { tool_choice: 'auto', ...parallel };
  }
}

/** An Anthropic Messages body as an OpenAI chat body. */
export function messagesRequestToChat(body: Readonly<Json>): Json {
  const messages: Json[] = [];
  const system = systemText(body.system);
  if (system !== '') messages.push({ role: 'system', content: system });
  (body.messages as Json[]).forEach((message, i) => {
    if (message.role === 'assistant') messages.push(assistantMessage(message.content));
    else messages.push(...userMessages(message.content, `messages[${i}].content`));
  });
  const out: Json = { model: body.model, messages };
  if (typeof body.max_tokens === 'number') out.max_tokens = body.max_tokens;
  for (const key of ['temperature', 'top_p', 'stream'] as const) if (body[key] !== undefined) out[key] = body[key];
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0) out.stop = body.stop_sequences;
  if (isRecord(body.metadata) && typeof body.metadata.user_id === 'string') out.user = body.metadata.user_id;
  // Anthropic's server tools (web_search_..., code_execution_...) run at Anthropic: an OpenAI server has none, so they are left out.
  const tools = Array.isArray(body.tools) ? (body.tools as Json[]).filter((tool) => tool.type === undefined || tool.type === 'custom') : [];
  if (tools.length > 0) {
    out.tools = tools.map((tool) => {
      return {
        type: 'function',
        function: { name: tool.name, ...(typeof tool.description === 'string' ? { description: tool.description } : {}), parameters: tool.input_schema ?? { type: 'object', properties: {} } },
      };
    });
  }
  // OpenAI refuses a tool_choice without tools.
  if (isRecord(body.tool_choice) && out.tools !== undefined) Object.assign(out, toolChoiceOf(body.tool_choice));
  return out;
}

/** OpenAI's finish_reason -> Anthropic's stop_reason. */
export function stopReasonOf(finish: unknown): string {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/**
 * OpenAI usage in Anthropic's terms: cached prompt tokens are reads; cache
 * writes, which a Claude provider reports on the chat usage under Anthropic's
 * name (LiteLLM's `cache_creation_input_tokens`), are writes; the rest input.
 * OpenAI's prompt_tokens counts all three, Anthropic's input_tokens neither.
 */
export function anthropicUsageOf(usage: Usage | null): Json {
  if (usage === null) return { input_tokens: 0, output_tokens: 0 };
  const details = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const cached = Math.min(usage.prompt_tokens, typeof details.cached_tokens === 'number' ? details.cached_tokens : 0);
  const written = Math.max(0, Math.min(usage.prompt_tokens - cached, typeof usage.cache_creation_input_tokens === 'number' ? usage.cache_creation_input_tokens : 0));
  return { input_tokens: usage.prompt_tokens - cached - written, output_tokens: usage.completion_tokens, cache_read_input_tokens: cached, cache_creation_input_tokens: written };
}

function parseArguments(text: unknown): unknown {
  try {
    return typeof text === 'string' && text !== '' ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}

/** An OpenAI chat completion as an Anthropic message (its first choice). */
export function chatResponseToMessage(json: unknown): { body: Json; usage: Usage | null } {
  const completion = isRecord(json) ? json : {};
  const choice = Array.isArray(completion.choices) && isRecord(completion.choices[0]) ? completion.choices[0] : {};
  const message = isRecord(choice.message) ? choice.message : {};
  const content: Json[] = [];
  if (typeof message.content === 'string' && message.content !== '') content.push({ type: 'text', text: message.content });
  for (const call of Array.isArray(message.tool_calls) ? (message.tool_calls as Json[]) : []) {
    const fn = isRecord(call.function) ? call.function : {};
    content.push({ type: 'tool_use', id: String(call.id), name: String(fn.name), input: parseArguments(fn.arguments) });
  }
  const usage = usageFrom(completion);
  return {
    body: {
      id: typeof completion.id === 'string' ? completion.id : 'msg_unknown',
      type: 'message',
      role: 'assistant',
      model: completion.model ?? '',
      content,
      stop_reason: stopReasonOf(choice.finish_reason),
      stop_sequence: null,
      usage: anthropicUsageOf(usage),
    },
    usage,
  };
}
