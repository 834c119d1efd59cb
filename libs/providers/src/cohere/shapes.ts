/*
 * The parts of Cohere's API v2 (https://docs.cohere.com/reference/chat,
 * https://docs.cohere.com/reference/embed) the gateway reads or writes, typed
 * as loosely as the gateway needs.
 */

export type CohereFinishReason = 'COMPLETE' | 'STOP_SEQUENCE' | 'MAX_TOKENS' | 'TOOL_CALL' | 'ERROR' | 'TIMEOUT';

export interface CohereToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type CohereContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } }
  | { type: 'thinking'; thinking: string };

export type CohereMessage =
  | { role: 'system'; content: string | Array<{ type: 'text'; text: string }> }
  | { role: 'user'; content: string | CohereContentPart[] }
  | { role: 'assistant'; content?: string | Array<{ type: 'text'; text: string }>; tool_calls?: CohereToolCall[]; tool_plan?: string }
  | { role: 'tool'; tool_call_id: string; content: string | Array<{ type: 'text'; text: string }> };

export interface CohereUsage {
  billed_units?: { input_tokens?: number; output_tokens?: number; search_units?: number; classifications?: number; images?: number };
  tokens?: { input_tokens?: number; output_tokens?: number };
  cached_tokens?: number;
}

export interface CohereChatResponse {
  id: string;
  finish_reason: CohereFinishReason;
  message: {
    role: 'assistant';
    content?: Array<{ type: string; text?: string; thinking?: string }>;
    tool_calls?: CohereToolCall[];
    tool_plan?: string;
    citations?: unknown[];
  };
  usage?: CohereUsage;
}

/** LiteLLM's COHERE_DEFAULT_EMBEDDING_INPUT_TYPE: Cohere v3+ embed models require an input_type. */
export const DEFAULT_EMBEDDING_INPUT_TYPE = 'search_document';

/** Cohere's limit of texts per embed call (V2EmbedRequest: "Maximum number of texts per call is 96"). */
export const MAX_EMBED_TEXTS = 96;

/** Cohere's limit of stop sequences ("A list of up to 5 strings"). */
export const MAX_STOP_SEQUENCES = 5;
