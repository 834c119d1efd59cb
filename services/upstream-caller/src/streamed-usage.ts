import type { CallEnvelope, Usage } from '@switchyard/contracts';
import type { Deployment } from '@switchyard/config';
import { countTextTokens, CountBudget, encodingFor } from '@switchyard/providers';

/** Raw chunk data kept as it came (no parsing on the relay path) for a stream this short. */
const RAW_CHARS = 64 * 1024;
/** Model-written text kept for counting; beyond it, text counts as its UTF-8 bytes (an upper bound of its tokens). */
const TEXT_CHARS = 1024 * 1024;

/**
 * The usage of a stream whose provider reported none (many OpenAI-compatible
 * servers ignore stream_options.include_usage). Settling such a call at its
 * reservation let a client without max_tokens use several times the limit;
 * this counts what was actually streamed, content, refusals and tool-call
 * arguments of every choice, with the tokenizer the estimate used, and takes
 * the prompt from the ingress's estimate. The usage says it is estimated.
 * Memory is bounded: short streams keep their raw chunks (parsed only if the
 * provider never sends a usage), longer ones keep only the extracted text.
 */
export class StreamedText {
  #raw: string[] = [];
  #rawChars = 0;
  #text: string[] = [];
  #textChars = 0;
  #overflowBytes = 0;

  add(data: string): void {
    if (data === '[DONE]') return;
    if (this.#raw.length > 0 || this.#rawChars === 0) {
      if (this.#rawChars + data.length <= RAW_CHARS) {
        this.#raw.push(data);
        this.#rawChars += data.length;
        return;
      }
      for (const kept of this.#raw) this.#keepText(textOf(kept));
      this.#raw = [];
      this.#rawChars = RAW_CHARS;
    }
    this.#keepText(textOf(data));
  }

  #keepText(text: string): void {
    if (text === '') return;
    if (this.#textChars + text.length > TEXT_CHARS) {
      this.#overflowBytes += Buffer.byteLength(text, 'utf8');
      return;
    }
    this.#text.push(text);
    this.#textChars += text.length;
  }

  usage(envelope: CallEnvelope, deployment: Deployment): Usage {
    const text = [...this.#raw.map(textOf), ...this.#text].join('');
    const completion = countTextTokens(text, encodingFor(deployment), new CountBudget()) + this.#overflowBytes;
    const prompt = envelope.estimatedPromptTokens;
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, switchyard_estimated: true };
  }
}

/** The model-written text of one chunk: chat deltas (content, refusal, tool-call arguments) or completion text. */
/** The model-written text of an Anthropic stream event (a /v1/messages stream): text, thinking and tool input deltas. */
function anthropicDeltaText(event: unknown): string {
  const delta = (event as { type?: unknown; delta?: unknown } | null)?.delta as Record<string, unknown> | undefined;
  if ((event as { type?: unknown }).type !== 'content_block_delta' || !delta || typeof delta !== 'object') return '';
  for (const field of ['text', 'thinking', 'partial_json'] as const) if (typeof delta[field] === 'string') return delta[field];
  return '';
}

/** The model-written text of a Responses API stream event (a /v1/responses stream): text and argument deltas, never their .done repeats. */
function responsesDeltaText(event: unknown): string | null {
  const { type, delta } = (event ?? {}) as { type?: unknown; delta?: unknown };
  if (type === 'response.output_text.delta' || type === 'response.function_call_arguments.delta' || type === 'response.refusal.delta') {
    return typeof delta === 'string' ? delta : '';
  }
  return null;
}

function textOf(data: string): string {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    // Not JSON: the client got these bytes all the same; count them as text.
    return data;
  }
  const choices = (chunk as { choices?: unknown }).choices;
  if (!Array.isArray(choices)) return responsesDeltaText(chunk) ?? anthropicDeltaText(chunk);
  const parts: string[] = [];
  for (const choice of choices as Array<Record<string, unknown>>) {
    if (typeof choice?.text === 'string') parts.push(choice.text);
    const delta = choice?.delta as Record<string, unknown> | undefined;
    if (!delta || typeof delta !== 'object') continue;
    if (typeof delta.content === 'string') parts.push(delta.content);
    if (typeof delta.refusal === 'string') parts.push(delta.refusal);
    if (typeof delta.reasoning_content === 'string') parts.push(delta.reasoning_content);
    if (Array.isArray(delta.tool_calls)) {
      for (const call of delta.tool_calls as Array<Record<string, unknown>>) {
        const fn = call?.function as Record<string, unknown> | undefined;
        if (typeof fn?.name === 'string') parts.push(fn.name);
        if (typeof fn?.arguments === 'string') parts.push(fn.arguments);
      }
    }
  }
  return parts.join('');
}
