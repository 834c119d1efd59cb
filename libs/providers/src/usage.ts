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
