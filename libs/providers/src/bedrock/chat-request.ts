import { Errors } from '@switchyard/contracts';
import { THINKING_BUDGET } from '../anthropic/shapes.js';
import { isRecord } from '../usage.js';
import { RESPONSE_FORMAT_TOOL, type ConverseBlock, type ConverseMessage, type ImageFormat } from './shapes.js';

/*
 * OpenAI chat completions -> Bedrock Converse, as LiteLLM maps it
 * (litellm/llms/bedrock/chat/converse_transformation.py and
 * prompt_templates' _bedrock_converse_messages_pt): system and developer
 * messages become `system`, tool results user `toolResult` blocks, assistant
 * tool calls `toolUse` blocks, base64 images image blocks with their bytes;
 * consecutive turns of one role merge; sampling parameters go to
 * `inferenceConfig`. The model is in the URL, so the body has no `model`.
 */

const bad = (message: string, param: string | null = null) => Errors.invalidRequest(message, param, 'unsupported_by_provider');

type Part = Record<string, unknown>;

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;
const IMAGE_FORMATS: Readonly<Record<string, ImageFormat>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};
const CACHE_POINT: ConverseBlock = { cachePoint: { type: 'default' } };

function imageBlock(part: Part, at: string): ConverseBlock {
  const image = part.image_url;
  const url = typeof image === 'string' ? image : isRecord(image) && typeof image.url === 'string' ? image.url : null;
  if (url === null) throw bad('an image_url part needs image_url.url', at);
  const data = DATA_URL.exec(url);
  if (data === null) {
    // Bedrock takes image bytes only; the gateway does not fetch URLs on a client's behalf.
    throw bad('a Bedrock deployment takes images as base64 data URLs (data:image/png;base64,...), not http(s) URLs', at);
  }
  const format = IMAGE_FORMATS[data[1]!.toLowerCase()];
  if (format === undefined) throw bad(`Bedrock takes png, jpeg, gif and webp images, not ${data[1]!}`, at);
  return { image: { format, source: { bytes: data[2]! } } };
}

/** The blocks of a message's content; a part with `cache_control` is followed by a cache point (LiteLLM's mapping). */
function contentBlocks(content: unknown, at: string, images = true): ConverseBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) return [];
  return content.flatMap((raw, i): ConverseBlock[] => {
    const part = raw as Part;
    let block: ConverseBlock | null;
    if (part.type === 'text') block = typeof part.text === 'string' && part.text !== '' ? { text: part.text } : null;
    else if (part.type === 'image_url' && images) block = imageBlock(part, `${at}[${i}]`);
    else throw bad(`content parts of type "${String(part.type)}" cannot be sent here to a Bedrock deployment`, `${at}[${i}]`);
    const blocks = block === null ? [] : [block];
    return part.cache_control === undefined ? blocks : [...blocks, CACHE_POINT];
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

/** Claude's thinking blocks, sent back first and unchanged (Bedrock requires them on a tool-use turn with thinking on). */
function reasoningBlocks(value: unknown): ConverseBlock[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((raw): ConverseBlock[] => {
    const block = raw as Part;
    if (block.type === 'thinking' && typeof block.thinking === 'string') {
      return [{ reasoningContent: { reasoningText: { text: block.thinking, ...(typeof block.signature === 'string' ? { signature: block.signature } : {}) } } }];
    }
    if (block.type === 'redacted_thinking' && typeof block.data === 'string') return [{ reasoningContent: { redactedContent: block.data } }];
    return [];
  });
}

function assistantBlocks(message: Part, at: string): ConverseBlock[] {
  const blocks = [...reasoningBlocks(message.thinking_blocks), ...contentBlocks(message.content, `${at}.content`)];
  const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as Part[]) : [];
  calls.forEach((call, i) => {
    const fn = isRecord(call.function) ? call.function : {};
    if (typeof call.id !== 'string' || typeof fn.name !== 'string') throw bad('a tool call needs an id and a function name', `${at}.tool_calls[${i}]`);
    blocks.push({ toolUse: { toolUseId: call.id, name: fn.name, input: parseArguments(fn.arguments, `${at}.tool_calls[${i}].function.arguments`) } });
  });
  return blocks;
}

function toolResult(message: Part, at: string): ConverseBlock {
  if (typeof message.tool_call_id !== 'string') throw bad('a tool message needs tool_call_id', `${at}.tool_call_id`);
  const text =
    typeof message.content === 'string'
      ? message.content
      : contentBlocks(message.content, `${at}.content`, false)
          .map((block) => ('text' in block ? block.text : ''))
          .join('');
  return { toolResult: { toolUseId: message.tool_call_id, content: [{ text }] } };
}

export interface MappedConversation {
  system: ConverseBlock[];
  messages: ConverseMessage[];
}

export function mapConversation(input: readonly unknown[]): MappedConversation {
  const system: ConverseBlock[] = [];
  const messages: ConverseMessage[] = [];
  const push = (role: ConverseMessage['role'], blocks: ConverseBlock[]) => {
    // Bedrock refuses empty content; a turn left empty (an assistant message with null content) says
    // nothing, and skipping it keeps the turns around it merged, as Bedrock wants roles to alternate.
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
        system.push(...contentBlocks(message.content, `${at}.content`, false));
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
        throw bad(`messages with role "${String(message.role)}" cannot be sent to a Bedrock deployment`, `${at}.role`);
    }
  });
  return { system, messages };
}

function toolSpecs(value: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(value)) throw bad('tools must be an array', 'tools');
  return value.map((tool: Part, i) => {
    const fn = isRecord(tool.function) ? tool.function : null;
    if (tool.type !== 'function' || fn === null || typeof fn.name !== 'string') throw bad('only function tools can be sent to a Bedrock deployment', `tools[${i}]`);
    return {
      toolSpec: {
        name: fn.name,
        ...(typeof fn.description === 'string' && fn.description !== '' ? { description: fn.description } : {}),
        inputSchema: { json: isRecord(fn.parameters) ? fn.parameters : { type: 'object', properties: {} } },
      },
    };
  });
}

/** OpenAI's tool_choice as Converse's; null: none is sent. Converse has no "none" (LiteLLM drops it only with drop_params). */
function toolChoice(value: unknown, dropParams: boolean): Record<string, unknown> | null {
  if (value === undefined || value === null || value === 'auto') return value === 'auto' ? { auto: {} } : null;
  if (value === 'required') return { any: {} };
  if (value === 'none') {
    if (dropParams) return null;
    throw bad('Bedrock has no tool_choice "none": leave tools out, or set drop_params to drop it', 'tool_choice');
  }
  if (isRecord(value) && isRecord(value.function) && typeof value.function.name === 'string') return { tool: { name: value.function.name } };
  throw bad('tool_choice must be "auto", "required", "none" or a function', 'tool_choice');
}

function responseFormatTool(value: unknown): Record<string, unknown> | null {
  if (!isRecord(value) || value.type === 'text') return null;
  // LiteLLM's mapping: a forced tool whose input is the JSON (the response transform turns it back into content).
  const schema = value.type === 'json_schema' && isRecord(value.json_schema) && isRecord(value.json_schema.schema) ? value.json_schema.schema : null;
  return { toolSpec: { name: RESPONSE_FORMAT_TOOL, inputSchema: { json: schema ?? { type: 'object', additionalProperties: true, properties: {} } } } };
}

/** Claude on Bedrock takes Anthropic's `thinking` in additionalModelRequestFields (LiteLLM maps reasoning_effort there too); null: none. */
function thinkingOf(body: Readonly<Record<string, unknown>>): { type: 'enabled'; budget_tokens: number } | null {
  if (typeof body.model !== 'string' || !/(^|\.)anthropic\.claude/.test(body.model)) return null;
  const thinking = body.thinking;
  if (isRecord(thinking) && thinking.type === 'enabled' && typeof thinking.budget_tokens === 'number') return { type: 'enabled', budget_tokens: thinking.budget_tokens };
  if (body.reasoning_effort === undefined || body.reasoning_effort === null || body.reasoning_effort === 'none') return null;
  const budget = typeof body.reasoning_effort === 'string' ? THINKING_BUDGET[body.reasoning_effort] : undefined;
  if (budget === undefined) throw bad('reasoning_effort must be one of minimal, low, medium, high, none', 'reasoning_effort');
  return { type: 'enabled', budget_tokens: budget };
}

/** Anthropic's default completion budget, which thinking adds to when the client set none (as for Anthropic). */
const CLAUDE_DEFAULT_MAX_TOKENS = 4096;

function inferenceConfig(body: Readonly<Record<string, unknown>>, thinkingBudget: number | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Both max_tokens and max_completion_tokens map to one field: the larger wins, as the reservation assumed.
  const asked = [body.max_tokens, body.max_completion_tokens].filter((v): v is number => typeof v === 'number');
  if (asked.length > 0) out.maxTokens = Math.max(...asked);
  // With thinking on, maxTokens must exceed the budget.
  else if (thinkingBudget !== null) out.maxTokens = CLAUDE_DEFAULT_MAX_TOKENS + thinkingBudget;
  // Converse's temperature range is 0..1 where OpenAI's is 0..2.
  if (typeof body.temperature === 'number') out.temperature = Math.min(1, Math.max(0, body.temperature));
  if (typeof body.top_p === 'number') out.topP = body.top_p;
  if (typeof body.stop === 'string') out.stopSequences = [body.stop];
  else if (Array.isArray(body.stop) && body.stop.length > 0) out.stopSequences = body.stop;
  return out;
}

/**
 * The Converse body of an OpenAI chat body. Fields without a mapping (seed,
 * logprobs, penalties, user; reasoning_effort and thinking for models other
 * than Claude) are dropped, as LiteLLM drops them for most Bedrock models;
 * Bedrock refuses fields it does not know.
 */
export function chatRequestToConverse(body: Readonly<Record<string, unknown>>, dropParams: boolean): Record<string, unknown> {
  if (typeof body.n === 'number' && body.n > 1) throw bad('a Bedrock deployment answers with one choice: n must be 1', 'n');
  const { system, messages } = mapConversation(Array.isArray(body.messages) ? body.messages : []);
  if (messages.length === 0) throw bad('a Bedrock deployment needs at least one user or assistant message', 'messages');
  const out: Record<string, unknown> = { messages };
  if (system.length > 0) out.system = system;
  const thinking = thinkingOf(body);
  const inference = inferenceConfig(body, thinking?.budget_tokens ?? null);
  if (Object.keys(inference).length > 0) out.inferenceConfig = inference;
  if (thinking !== null) out.additionalModelRequestFields = { thinking };

  const tools = body.tools === undefined || body.tools === null ? [] : toolSpecs(body.tools);
  let choice = toolChoice(body.tool_choice, dropParams);
  const format = responseFormatTool(body.response_format);
  if (format !== null) {
    tools.push(format);
    choice = { tool: { name: RESPONSE_FORMAT_TOOL } };
  }
  if (tools.length > 0) out.toolConfig = { tools, ...(choice === null ? {} : { toolChoice: choice }) };
  else if (choice !== null) throw bad('tool_choice needs tools', 'tool_choice');
  return out;
}

/** True when the request was a response_format call: the forced JSON tool's input is the answer's content. */
export function isJsonMode(providerBody: Readonly<Record<string, unknown>>): boolean {
  const config = providerBody.toolConfig;
  return isRecord(config) && isRecord(config.toolChoice) && isRecord(config.toolChoice.tool) && config.toolChoice.tool.name === RESPONSE_FORMAT_TOOL;
}
