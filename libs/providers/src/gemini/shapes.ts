/*
 * The parts of Google's Gemini API (generateContent, streamGenerateContent,
 * embedContent; https://ai.google.dev/api and Vertex AI's
 * projects.locations.publishers.models) the gateway reads or writes. AI
 * Studio and Vertex AI take the same JSON; fields the gateway does not touch
 * are left `unknown`.
 */

export type GeminiRole = 'user' | 'model';

export type GeminiPart =
  | { text: string; thought?: boolean; thoughtSignature?: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: Record<string, unknown>; id?: string }; thoughtSignature?: string }
  | { functionResponse: { name: string; response: Record<string, unknown>; id?: string } };

export interface GeminiContent {
  role: GeminiRole;
  parts: GeminiPart[];
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
}

export interface GeminiCandidate {
  content?: { role?: string; parts?: Array<Record<string, unknown>> };
  finishReason?: string;
  index?: number;
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

/** LiteLLM's reasoning_effort -> thinking budget (litellm/constants.py DEFAULT_REASONING_EFFORT_*_THINKING_BUDGET). */
export const THINKING_BUDGET: Readonly<Record<string, number>> = { minimal: 128, low: 1024, medium: 2048, high: 4096 };

/** Gemini's finishReason -> OpenAI's finish_reason (LiteLLM's map_finish_reason, litellm_core_utils/core_helpers.py). */
const FINISH_REASONS: Readonly<Record<string, string>> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  FINISH_REASON_UNSPECIFIED: 'stop',
  MALFORMED_FUNCTION_CALL: 'stop',
  LANGUAGE: 'content_filter',
  OTHER: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  IMAGE_PROHIBITED_CONTENT: 'content_filter',
  IMAGE_RECITATION: 'content_filter',
  IMAGE_OTHER: 'content_filter',
  NO_IMAGE: 'content_filter',
  TOO_MANY_TOOL_CALLS: 'stop',
  MALFORMED_RESPONSE: 'stop',
  UNEXPECTED_TOOL_CALL: 'stop',
  MISSING_THOUGHT_SIGNATURE: 'stop',
};

/** `hasToolCalls`: the candidate called a function, which OpenAI's clients read from finish_reason. */
export function finishReasonOf(reason: unknown, hasToolCalls: boolean): string | null {
  if (typeof reason !== 'string') return null;
  if (hasToolCalls && reason === 'STOP') return 'tool_calls';
  return FINISH_REASONS[reason] ?? 'stop';
}

/**
 * Gemini 3 wants each functionCall's thoughtSignature back with it on the
 * next turn; OpenAI clients keep only the tool call's id, so the signature
 * rides in the id, in LiteLLM's format (`call_<id>__thought__<signature>`,
 * THOUGHT_SIGNATURE_SEPARATOR in prompt_templates/factory.py).
 */
export const THOUGHT_SIGNATURE_SEPARATOR = '__thought__';

export function withThoughtSignature(id: string, signature: unknown): string {
  return typeof signature === 'string' && signature !== '' ? `${id}${THOUGHT_SIGNATURE_SEPARATOR}${signature}` : id;
}

export function thoughtSignatureOf(id: unknown): string | null {
  if (typeof id !== 'string') return null;
  const at = id.indexOf(THOUGHT_SIGNATURE_SEPARATOR);
  const signature = at === -1 ? '' : id.slice(at + THOUGHT_SIGNATURE_SEPARATOR.length);
  return signature === '' ? null : signature;
}
