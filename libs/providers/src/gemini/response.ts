import { randomBytes } from 'node:crypto';
import type { Usage } from '@switchyard/contracts';
import { isRecord } from '../usage.js';
import { finishReasonOf, withThoughtSignature, type GeminiCandidate, type GeminiResponse, type GeminiUsageMetadata } from './shapes.js';

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);

/**
 * Gemini's usageMetadata in OpenAI's terms, as LiteLLM reports it: thinking
 * tokens are billed output, so they count in completion_tokens (and show as
 * reasoning_tokens); cached prompt tokens are part of the prompt and show as
 * cached_tokens.
 */
export function usageOfGemini(usage: GeminiUsageMetadata | null | undefined): Usage | null {
  if (!isRecord(usage)) return null;
  const prompt = count(usage.promptTokenCount) + count(usage.toolUsePromptTokenCount);
  const thoughts = count(usage.thoughtsTokenCount);
  const completion = count(usage.candidatesTokenCount) + thoughts;
  const total = count(usage.totalTokenCount);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: Math.max(total, prompt + completion),
    prompt_tokens_details: { cached_tokens: count(usage.cachedContentTokenCount) },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

/** OpenAI's tool call ids; Gemini's functionCall.id when it sends one. */
export function toolCallId(given: unknown): string {
  return typeof given === 'string' && given !== '' ? given : `call_${randomBytes(12).toString('hex')}`;
}

export interface CandidateContent {
  text: string;
  reasoning: string;
  toolCalls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
}

/** The text, thoughts and function calls of one candidate's parts. */
export function candidateContent(candidate: GeminiCandidate): CandidateContent {
  const parts = Array.isArray(candidate.content?.parts) ? candidate.content.parts : [];
  const out: CandidateContent = { text: '', reasoning: '', toolCalls: [] };
  for (const part of parts) {
    if (typeof part.text === 'string') {
      if (part.thought === true) out.reasoning += part.text;
      else out.text += part.text;
    } else if (isRecord(part.functionCall) && typeof part.functionCall.name === 'string') {
      const call = part.functionCall;
      const id = withThoughtSignature(toolCallId(call.id), part.thoughtSignature);
      out.toolCalls.push({ id, type: 'function', function: { name: call.name as string, arguments: JSON.stringify(call.args ?? {}) } });
    }
  }
  return out;
}

export function generateContentToChat(json: unknown, model: string, created = Math.floor(Date.now() / 1000)): { body: Record<string, unknown>; usage: Usage | null } {
  const response = (isRecord(json) ? json : {}) as GeminiResponse;
  const candidates = Array.isArray(response.candidates) ? response.candidates : [];
  const choices = candidates.map((candidate, i) => {
    const { text, reasoning, toolCalls } = candidateContent(candidate);
    return {
      index: typeof candidate.index === 'number' ? candidate.index : i,
      message: {
        role: 'assistant',
        content: text === '' && toolCalls.length > 0 ? null : text,
        // Required by OpenAI's schema; Gemini's refusals are finish reasons (SAFETY), not messages.
        refusal: null,
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        ...(reasoning === '' ? {} : { reasoning_content: reasoning }),
      },
      finish_reason: finishReasonOf(candidate.finishReason, toolCalls.length > 0) ?? 'stop',
      logprobs: null,
    };
  });
  // A prompt Gemini blocked has no candidate: one empty choice says why, as LiteLLM answers.
  if (choices.length === 0) {
    choices.push({ index: 0, message: { role: 'assistant', content: null, refusal: null }, finish_reason: response.promptFeedback?.blockReason === undefined ? 'stop' : 'content_filter', logprobs: null });
  }
  const usage = usageOfGemini(response.usageMetadata);
  const body: Record<string, unknown> = {
    id: typeof response.responseId === 'string' ? response.responseId : `chatcmpl-${randomBytes(12).toString('hex')}`,
    object: 'chat.completion',
    created,
    model: typeof response.modelVersion === 'string' ? response.modelVersion : model,
    choices,
    ...(usage === null ? {} : { usage }),
  };
  return { body, usage };
}
