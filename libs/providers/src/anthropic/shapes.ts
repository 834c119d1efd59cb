/*
 * The parts of Anthropic's Messages API (https://docs.anthropic.com/en/api/messages)
 * the gateway reads or writes, typed as loosely as the gateway needs: fields
 * it does not touch pass through as `unknown`.
 */

export type AnthropicRole = 'user' | 'assistant';

export type AnthropicBlock =
  | { type: 'text'; text: string; cache_control?: unknown }
  | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string }; cache_control?: unknown }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string | AnthropicBlock[]; is_error?: boolean }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string };

export interface AnthropicMessage {
  role: AnthropicRole;
  content: string | AnthropicBlock[];
}

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export interface AnthropicResponse {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicBlock[];
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/** The version header every call carries (the current and only stable version). */
export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * Anthropic requires max_tokens; LiteLLM's DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS
 * is 4096, and so is the gateway's when the client and the deployment set none.
 */
export const DEFAULT_MAX_TOKENS = 4096;

/** LiteLLM's reasoning_effort -> thinking budget (litellm/constants.py DEFAULT_REASONING_EFFORT_*). */
export const THINKING_BUDGET: Readonly<Record<string, number>> = { minimal: 1024, low: 1024, medium: 2048, high: 4096 };

/** The tool LiteLLM forces to get JSON matching response_format's schema (RESPONSE_FORMAT_TOOL_NAME). */
export const RESPONSE_FORMAT_TOOL = 'json_tool_call';
