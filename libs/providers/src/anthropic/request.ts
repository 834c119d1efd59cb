import { Errors } from '@switchyard/contracts';
import { applyParamMap, type ParamMap } from '../param-map.js';
import { isRecord } from '../usage.js';
import {
  DEFAULT_MAX_TOKENS,
  RESPONSE_FORMAT_TOOL,
  THINKING_BUDGET,
  type AnthropicBlock,
  type AnthropicMessage,
} from './shapes.js';

/*
 * OpenAI chat completions -> Anthropic Messages, as LiteLLM maps it
 * (litellm/llms/anthropic/chat/transformation.py and prompt_templates'
 * anthropic_messages_pt): system and developer messages become `system`,
 * tool results become user `tool_result` blocks, assistant tool calls
 * `tool_use` blocks, images image blocks; consecutive turns of one role merge.
 */

const bad = (message: string, param: string | null = null) => Errors.invalidRequest(message, param, 'unsupported_by_provider');

type Part = Record<string, unknown>;

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

function imageBlock(part: Part, at: string): AnthropicBlock {
  const image = part.image_url;
  const url = typeof image === 'string' ? image : isRecord(image) && typeof image.url === 'string' ? image.url : null;
  if (url === null) throw bad('an image_url part needs image_url.url', at);
  const data = DATA_URL.exec(url);
  if (data !== null) return { type: 'image', source: { type: 'base64', media_type: data[1]!, data: data[2]! } };
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw bad('an image_url must be an http(s) URL or a base64 data URL', at);
}

function withCache<T extends AnthropicBlock>(block: T, part: Part): T {
  return part.cache_control === undefined ? block : { ...block, cache_control: part.cache_control };
}

function contentBlocks(content: unknown, at: string): AnthropicBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  return content.map((raw, i): AnthropicBlock => {
    const part = raw as Part;
    if (part.type === 'text') return withCache({ type: 'text', text: String(part.text ?? '') }, part);
    if (part.type === 'image_url') return withCache(imageBlock(part, `${at}[${i}]`), part);
    throw bad(`content parts of type "${String(part.type)}" cannot be sent to an Anthropic deployment`, `${at}[${i}]`);
  });
}

function parseArguments(text: unknown, at: string): unknown {
  if (typeof text !== 'string' || text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw bad('tool call arguments must be JSON', at);
  }
}

function assistantBlocks(message: Part, at: string): AnthropicBlock[] {
  const blocks: AnthropicBlock[] = [];
  // Thinking blocks must come back first and unchanged for a tool-use turn with thinking on.
  if (Array.isArray(message.thinking_blocks)) blocks.push(...(message.thinking_blocks as AnthropicBlock[]));
  blocks.push(...contentBlocks(message.content, `${at}.content`));
  const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as Part[]) : [];
  calls.forEach((call, i) => {
    const fn = isRecord(call.function) ? call.function : {};
    if (typeof call.id !== 'string' || typeof fn.name !== 'string') throw bad('a tool call needs an id and a function name', `${at}.tool_calls[${i}]`);
    blocks.push({ type: 'tool_use', id: call.id, name: fn.name, input: parseArguments(fn.arguments, `${at}.tool_calls[${i}].function.arguments`) });
  });
  return blocks;
}

function toolResult(message: Part, at: string): AnthropicBlock {
  if (typeof message.tool_call_id !== 'string') throw bad('a tool message needs tool_call_id', `${at}.tool_call_id`);
  const content = typeof message.content === 'string' ? message.content : contentBlocks(message.content, `${at}.content`);
  return { type: 'tool_result', tool_use_id: message.tool_call_id, content };
}

export interface MappedMessages {
  system: Array<{ type: 'text'; text: string; cache_control?: unknown }>;
  messages: AnthropicMessage[];
}

export function mapMessages(input: readonly unknown[]): MappedMessages {
  const system: MappedMessages['system'] = [];
  const messages: Array<{ role: 'user' | 'assistant'; content: AnthropicBlock[] }> = [];
  const push = (role: 'user' | 'assistant', blocks: AnthropicBlock[]) => {
    // Anthropic refuses empty content; a turn left empty (an assistant message with null content) says
    // nothing. It is skipped before merging, so the turns on either side of it merge and roles alternate.
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last !== undefined && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  input.forEach((raw, i) => {
    const message = raw as Part;
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const block of contentBlocks(message.content, `${at}.content`)) {
          if (block.type === 'text') system.push(block);
        }
        break;
      case 'user':
        push('user', contentBlocks(message.content, `${at}.content`));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(message, at));
        break;
      case 'tool':
        push('user', [toolResult(message, at)]);
        break;
      default:
        throw bad(`messages with role "${String(message.role)}" cannot be sent to an Anthropic deployment`, `${at}.role`);
    }
  });
  return { system, messages };
}

function tools(value: unknown): Record<string, unknown> {
  if (!Array.isArray(value)) throw bad('tools must be an array', 'tools');
  return {
    tools: value.map((tool: Part, i) => {
      const fn = isRecord(tool.function) ? tool.function : null;
      if (tool.type !== 'function' || fn === null || typeof fn.name !== 'string') throw bad('only function tools can be sent to an Anthropic deployment', `tools[${i}]`);
      return {
        name: fn.name,
        ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
        input_schema: isRecord(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
        ...(tool.cache_control === undefined ? {} : { cache_control: tool.cache_control }),
      };
    }),
  };
}

function toolChoice(value: unknown, body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const parallel = body.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  if (value === 'auto') return { tool_choice: { type: 'auto', ...parallel } };
  if (value === 'required') return { tool_choice: { type: 'any', ...parallel } };
  if (value === 'none') return { tool_choice: { type: 'none' } };
  if (isRecord(value) && isRecord(value.function) && typeof value.function.name === 'string') {
    return { tool_choice: { type: 'tool', name: value.function.name, ...parallel } };
  }
  throw bad('tool_choice must be "auto", "required", "none" or a function', 'tool_choice');
}

function responseFormat(value: unknown): Record<string, unknown> {
  if (!isRecord(value) || value.type === 'text') return {};
  // LiteLLM's mapping: a forced tool whose input is the JSON (the response transform turns it back into content).
  const schema = value.type === 'json_schema' && isRecord(value.json_schema) && isRecord(value.json_schema.schema) ? value.json_schema.schema : null;
  const input_schema = schema ?? { type: 'object', additionalProperties: true, properties: {} };
  return { tools: [{ name: RESPONSE_FORMAT_TOOL, input_schema }], tool_choice: { type: 'tool', name: RESPONSE_FORMAT_TOOL } };
}

function thinkingOf(value: unknown): Record<string, unknown> {
  if (value === 'none') return {};
  const budget = typeof value === 'string' ? THINKING_BUDGET[value] : undefined;
  if (budget === undefined) throw bad('reasoning_effort must be one of minimal, low, medium, high, none', 'reasoning_effort');
  return { thinking: { type: 'enabled', budget_tokens: budget } };
}

const CHAT_PARAMS: ParamMap = {
  max_tokens: {},
  max_completion_tokens: { to: 'max_tokens' },
  // Anthropic's temperature range is 0..1 where OpenAI's is 0..2.
  temperature: { min: 0, max: 1 },
  top_p: {},
  top_k: {},
  stop: { transform: (value) => ({ stop_sequences: Array.isArray(value) ? value : [value] }) },
  user: { transform: (value) => ({ metadata: { user_id: value } }) },
  tools: { transform: tools },
  tool_choice: { transform: toolChoice },
  reasoning_effort: { transform: thinkingOf },
  thinking: {},
  stream: {},
};

/** The Anthropic body of an OpenAI chat body. Fields without a mapping (seed, logprobs, penalties) are dropped, as LiteLLM drops them. */
export function chatRequestToMessages(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (typeof body.n === 'number' && body.n > 1) throw bad('an Anthropic deployment answers with one choice: n must be 1', 'n');
  const { system, messages } = mapMessages(Array.isArray(body.messages) ? body.messages : []);
  if (messages.length === 0) throw bad('an Anthropic deployment needs at least one user or assistant message', 'messages');
  const params = applyParamMap(body, CHAT_PARAMS);
  // Both max_tokens and max_completion_tokens map to one field: the larger wins, as the reservation assumed.
  const asked = [body.max_tokens, body.max_completion_tokens].filter((v): v is number => typeof v === 'number');
  const thinking = isRecord(params.thinking) && typeof params.thinking.budget_tokens === 'number' ? params.thinking.budget_tokens : 0;
  // With thinking on, max_tokens must exceed the budget (LiteLLM adds the default on top).
  params.max_tokens = asked.length > 0 ? Math.max(...asked) : DEFAULT_MAX_TOKENS + thinking;
  const format = responseFormat(body.response_format);
  if (Array.isArray(format.tools)) {
    params.tools = [...(Array.isArray(params.tools) ? params.tools : []), ...format.tools];
    params.tool_choice = format.tool_choice;
  }
  if (params.stream !== true) delete params.stream;
  return { model: body.model, messages, ...(system.length > 0 ? { system } : {}), ...params };
}
