/*
 * The parts of Bedrock Runtime's Converse API the gateway writes and reads
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html),
 * typed as loosely as the gateway needs.
 */

export type ConverseRole = 'user' | 'assistant';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export type ConverseBlock =
  | { text: string }
  | { image: { format: ImageFormat; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { toolResult: { toolUseId: string; content: Array<{ text: string }>; status?: 'success' | 'error' } }
  | { cachePoint: { type: 'default' } }
  | { reasoningContent: { reasoningText: { text: string; signature?: string } } | { redactedContent: string } };

export interface ConverseMessage {
  role: ConverseRole;
  content: ConverseBlock[];
}

/** Converse's token usage; the cache counts are absent when nothing was cached. */
export interface ConverseUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** The tool LiteLLM forces to get JSON matching response_format (RESPONSE_FORMAT_TOOL_NAME), as for Anthropic. */
export { RESPONSE_FORMAT_TOOL } from '../anthropic/shapes.js';

/** The content type of ConverseStream's answer: AWS's binary event stream. */
export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';
