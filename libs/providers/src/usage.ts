import { Usage } from '@switchyard/contracts';

/** A JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The usage a provider reported in a response or stream chunk: OpenAI's
 * `usage`, else Groq's `x_groq.usage` (where Groq streams put it).
 */
export function usageFrom(payload: unknown): Usage | null {
  if (!isRecord(payload)) return null;
  const candidates = [payload.usage, isRecord(payload.x_groq) ? payload.x_groq.usage : undefined];
  for (const candidate of candidates) {
    if (!isRecord(candidate)) continue;
    const parsed = Usage.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return null;
}

/**
 * The Responses API's usage (`input_tokens`, `output_tokens`, of a response
 * or of the response in response.completed) in chat's terms, which
 * settlement reads.
 */
export function usageOfResponses(usage: unknown): Usage | null {
  if (!isRecord(usage) || typeof usage.input_tokens !== 'number' || typeof usage.output_tokens !== 'number') return null;
  const total = typeof usage.total_tokens === 'number' ? usage.total_tokens : usage.input_tokens + usage.output_tokens;
  const parsed = Usage.safeParse({
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: total,
    ...(isRecord(usage.input_tokens_details) ? { prompt_tokens_details: usage.input_tokens_details } : {}),
    ...(isRecord(usage.output_tokens_details) ? { completion_tokens_details: usage.output_tokens_details } : {}),
  });
  return parsed.success ? parsed.data : null;
}
