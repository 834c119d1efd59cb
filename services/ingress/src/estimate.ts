import type { Endpoint } from '@switchyard/contracts';

/**
 * A quick prompt-size estimate (about four characters a token) over the text
 * the provider will read. The limiter reserves it and settles to the real
 * usage afterwards, so it need only be close.
 */
export function estimatePromptTokens(endpoint: Endpoint, body: Record<string, unknown>): number {
  const source = endpoint === 'chat.completions' ? body.messages : endpoint === 'completions' ? body.prompt : body.input;
  return Math.ceil(textLength(source) / 4);
}

function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number') return 1;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + textLength(item), 0);
  if (value && typeof value === 'object') {
    let total = 4; // per-message framing
    for (const [key, item] of Object.entries(value)) if (key !== 'role') total += textLength(item);
    return total;
  }
  return 0;
}

export function maxCompletionTokensOf(body: Record<string, unknown>): number | null {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === 'number' ? value : null;
}
