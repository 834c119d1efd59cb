import type { Usage } from '@switchyard/contracts';
import { isRecord } from '../usage.js';
import { RESPONSE_FORMAT_TOOL, type AnthropicBlock, type AnthropicResponse, type AnthropicUsage } from './shapes.js';

/** Anthropic's stop_reason -> OpenAI's finish_reason (LiteLLM's map_finish_reason). */
export function finishReasonOf(stopReason: unknown, jsonMode = false): string | null {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return jsonMode ? 'stop' : 'tool_calls';
    case 'refusal':
      return 'content_filter';
    case null:
    case undefined:
      return null;
    default:
      return 'stop';
  }
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);

/**
 * Anthropic's usage in OpenAI's terms, as LiteLLM reports it: the prompt
 * counts every input token, cached or not (cache reads and writes are billed
 * input), and cache reads show as `prompt_tokens_details.cached_tokens`.
 */
export function usageOfAnthropic(usage: Partial<AnthropicUsage> | null | undefined): Usage | null {
  if (!isRecord(usage)) return null;
  const cacheRead = count(usage.cache_read_input_tokens);
  const cacheWrite = count(usage.cache_creation_input_tokens);
  const prompt = count(usage.input_tokens) + cacheRead + cacheWrite;
  const completion = count(usage.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheWrite,
  };
}

/** True when the request was a response_format call: the forced JSON tool's input is the answer's content. */
export function isJsonMode(request: Readonly<Record<string, unknown>>): boolean {
  const choice = request.tool_choice;
  return isRecord(choice) && choice.type === 'tool' && choice.name === RESPONSE_FORMAT_TOOL;
}

export function messageToChatResponse(json: unknown, jsonMode: boolean, created = Math.floor(Date.now() / 1000)): { body: Record<string, unknown>; usage: Usage | null } {
  const message = (isRecord(json) ? json : {}) as Partial<AnthropicResponse>;
  const blocks: AnthropicBlock[] = Array.isArray(message.content) ? message.content : [];
  let text = '';
  let reasoning = '';
  const thinking: AnthropicBlock[] = [];
  const toolCalls: Array<Record<string, unknown>> = [];
  for (const block of blocks) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'thinking') {
      reasoning += block.thinking;
      thinking.push(block);
    } else if (block.type === 'redacted_thinking') thinking.push(block);
    else if (block.type === 'tool_use') {
      if (jsonMode && block.name === RESPONSE_FORMAT_TOOL) text += JSON.stringify(block.input);
      else toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    }
  }
  const usage = usageOfAnthropic(message.usage);
  const body: Record<string, unknown> = {
    id: message.id ?? 'msg_unknown',
    object: 'chat.completion',
    created,
    model: message.model ?? '',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && toolCalls.length > 0 ? null : text,
          // Required by OpenAI's schema; Anthropic's refusals are a stop reason, not a message.
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          ...(reasoning === '' ? {} : { reasoning_content: reasoning }),
          ...(thinking.length > 0 ? { thinking_blocks: thinking } : {}),
        },
        finish_reason: finishReasonOf(message.stop_reason, jsonMode) ?? 'stop',
        logprobs: null,
      },
    ],
    ...(usage === null ? {} : { usage }),
  };
  return { body, usage };
}
