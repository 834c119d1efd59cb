import { randomUUID } from 'node:crypto';
import type { Usage } from '@switchyard/contracts';
import { usageOfAnthropic } from '../anthropic/response.js';
import { isRecord } from '../usage.js';
import { RESPONSE_FORMAT_TOOL, type ConverseUsage } from './shapes.js';

/** Converse's stopReason -> OpenAI's finish_reason (LiteLLM's map_finish_reason). */
export function finishReasonOf(stopReason: unknown, jsonMode = false): string | null {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return jsonMode ? 'stop' : 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    case null:
    case undefined:
      return null;
    default:
      return 'stop';
  }
}

/**
 * Converse's usage in OpenAI's terms, as LiteLLM reports it (and as for
 * Anthropic, whose counts these are on Bedrock): the prompt counts every input
 * token, cache reads and writes included; reads show as cached_tokens.
 */
export function usageOfConverse(usage: unknown): Usage | null {
  if (!isRecord(usage)) return null;
  const converse = usage as Partial<ConverseUsage>;
  return usageOfAnthropic({
    input_tokens: converse.inputTokens ?? 0,
    output_tokens: converse.outputTokens ?? 0,
    cache_read_input_tokens: converse.cacheReadInputTokens ?? 0,
    cache_creation_input_tokens: converse.cacheWriteInputTokens ?? 0,
  });
}

/** Converse answers carry no id: the gateway gives each completion one, in OpenAI's form. */
export function completionId(): string {
  return `chatcmpl-${randomUUID().replaceAll('-', '')}`;
}

export function converseToChatResponse(
  json: unknown,
  model: string,
  jsonMode: boolean,
  created = Math.floor(Date.now() / 1000),
): { body: Record<string, unknown>; usage: Usage | null } {
  const answer = isRecord(json) ? json : {};
  const output = isRecord(answer.output) ? answer.output : {};
  const message = isRecord(output.message) ? output.message : {};
  const blocks = Array.isArray(message.content) ? message.content : [];
  let text = '';
  let reasoning = '';
  // LiteLLM's thinking_blocks: what a client sends back on the next turn of a tool-use conversation with thinking on.
  const thinking: Array<Record<string, unknown>> = [];
  const toolCalls: Array<Record<string, unknown>> = [];
  for (const block of blocks) {
    if (!isRecord(block)) continue;
    if (typeof block.text === 'string') text += block.text;
    else if (isRecord(block.reasoningContent)) {
      const content = block.reasoningContent;
      if (isRecord(content.reasoningText) && typeof content.reasoningText.text === 'string') {
        reasoning += content.reasoningText.text;
        const signature = content.reasoningText.signature;
        thinking.push({ type: 'thinking', thinking: content.reasoningText.text, ...(typeof signature === 'string' ? { signature } : {}) });
      } else if (typeof content.redactedContent === 'string') thinking.push({ type: 'redacted_thinking', data: content.redactedContent });
    } else if (isRecord(block.toolUse)) {
      const use = block.toolUse;
      if (jsonMode && use.name === RESPONSE_FORMAT_TOOL) text += JSON.stringify(use.input ?? {});
      else toolCalls.push({ id: use.toolUseId, type: 'function', function: { name: use.name, arguments: JSON.stringify(use.input ?? {}) } });
    }
  }
  const usage = usageOfConverse(answer.usage);
  const body: Record<string, unknown> = {
    id: completionId(),
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && toolCalls.length > 0 ? null : text,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          ...(reasoning === '' ? {} : { reasoning_content: reasoning }),
          ...(thinking.length > 0 ? { thinking_blocks: thinking } : {}),
        },
        logprobs: null,
        finish_reason: finishReasonOf(answer.stopReason, jsonMode) ?? 'stop',
      },
    ],
    ...(usage === null ? {} : { usage }),
  };
  return { body, usage };
}
