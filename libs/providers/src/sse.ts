import { createParser } from 'eventsource-parser';
import { usageFrom } from './usage.js';
import type { StreamTranslator } from './transforms.js';
import type { StreamEvent } from './types.js';

const DONE: StreamEvent = Object.freeze({ data: '[DONE]', usage: null, usageOnly: false });

// Most chunks carry no usage (or `"usage": null`); a cheap test spares them a
// JSON.parse on the hot streaming path.
const HAS_USAGE_OBJECT = /"usage"\s*:\s*\{/;

// `"usage": null` as OpenAI writes it on every chunk once usage was asked for: as the first
// member (comma after) or any later one (comma before).
const NULL_USAGE = /,\s*"usage"\s*:\s*null(?=\s*[,}])|"usage"\s*:\s*null\s*,/;

/**
 * A chunk without the `"usage": null` the provider added because the gateway
 * asked it for usage: a client that did not ask sees chunks as OpenAI sends
 * them to it. One substring test for most chunks; the rest of the text is
 * left as the provider wrote it.
 */
export function withoutNullUsage(data: string): string {
  if (!data.includes('"usage"')) return data;
  return data.replace(NULL_USAGE, '');
}

export function toStreamEvent(data: string): StreamEvent {
  if (data === '[DONE]') return DONE;
  if (!HAS_USAGE_OBJECT.test(data)) return { data, usage: null, usageOnly: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return { data, usage: null, usageOnly: false };
  }
  const usage = usageFrom(parsed);
  const choices = typeof parsed === 'object' && parsed !== null ? (parsed as { choices?: unknown }).choices : undefined;
  return { data, usage, usageOnly: usage !== null && Array.isArray(choices) && choices.length === 0 };
}

/**
 * Parses an SSE byte stream into events. Bytes may be split anywhere, even
 * inside a UTF-8 character or a `data:` line. Errors of the source propagate
 * to the consumer; the source is drained to its end even after `[DONE]` so
 * that a keep-alive connection goes back to the pool.
 */
export async function* parseSse(
  source: AsyncIterable<Uint8Array | string>,
  translator?: StreamTranslator,
): AsyncGenerator<StreamEvent, void, undefined> {
  const decoder = new TextDecoder();
  const pending: StreamEvent[] = [];
  const parser = createParser({
    onEvent: (event) => {
      // Empty events are keep-alives, not chunks.
      if (event.data === '') return;
      if (translator === undefined) pending.push(toStreamEvent(event.data));
      else pending.push(...translator.push({ event: event.event, data: event.data }));
    },
  });
  for await (const chunk of source) {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    if (pending.length > 0) yield* pending.splice(0);
  }
  // As the SSE spec says, an event not closed by a blank line before the end
  // of the stream is discarded: it may be a truncated JSON chunk.
  const tail = decoder.decode();
  if (tail !== '') parser.feed(tail);
  if (translator !== undefined) pending.push(...translator.end());
  if (pending.length > 0) yield* pending.splice(0);
}
