import type { Usage } from '@switchyard/contracts';
import type { StreamEvent } from '../types.js';
import type { RawSseEvent, StreamTranslator } from '../transforms.js';
import { isRecord, usageFrom } from '../usage.js';
import { anthropicUsageOf, stopReasonOf } from './messages-to-chat.js';

type Json = Record<string, unknown>;

/**
 * OpenAI chat chunks -> Anthropic's stream events, with their `event:` names:
 * message_start on the first chunk, one text block for the content, one
 * tool_use block per tool call (its argument pieces as input_json_delta), and
 * at the end (the `[DONE]`, or the stream's end) the blocks' stops,
 * message_delta with the stop reason and usage, and message_stop. The usage
 * chunk OpenAI sends after the finish reason is folded into message_delta.
 */
export class ChatToMessagesStream implements StreamTranslator {
  #started = false;
  #ended = false;
  #id = 'msg_unknown';
  #model = '';
  /** Index of the open Anthropic content block, and what it is. */
  #open: { index: number; kind: 'text' | 'tool'; toolIndex: number } | null = null;
  #blocks = 0;
  #finish: unknown = null;
  #usage: Usage | null = null;

  #event(name: string, data: Json, usage: Usage | null = null): StreamEvent {
    return { event: name, data: JSON.stringify({ type: name, ...data }), usage, usageOnly: false };
  }

  #start(chunk: Json): StreamEvent[] {
    if (this.#started) return [];
    this.#started = true;
    if (typeof chunk.id === 'string') this.#id = chunk.id;
    if (typeof chunk.model === 'string') this.#model = chunk.model;
    return [
      this.#event('message_start', {
        message: { id: this.#id, type: 'message', role: 'assistant', model: this.#model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } },
      }),
    ];
  }

  #close(): StreamEvent[] {
    if (this.#open === null) return [];
    const index = this.#open.index;
    this.#open = null;
    return [this.#event('content_block_stop', { index })];
  }

  #openBlock(kind: 'text' | 'tool', block: Json, toolIndex = -1): StreamEvent[] {
    const out = this.#close();
    const index = this.#blocks++;
    this.#open = { index, kind, toolIndex };
    out.push(this.#event('content_block_start', { index, content_block: block }));
    return out;
  }

  push(event: RawSseEvent): StreamEvent[] {
    if (event.data === '[DONE]') return this.#finishStream();
    let chunk: unknown;
    try {
      chunk = JSON.parse(event.data);
    } catch {
      return [];
    }
    if (!isRecord(chunk)) return [];
    const out = this.#start(chunk);
    const usage = usageFrom(chunk);
    if (usage !== null) this.#usage = usage;
    const choice = Array.isArray(chunk.choices) && isRecord(chunk.choices[0]) ? chunk.choices[0] : null;
    if (choice === null) return out;
    const delta = isRecord(choice.delta) ? choice.delta : {};
    if (typeof delta.content === 'string' && delta.content !== '') {
      if (this.#open?.kind !== 'text') out.push(...this.#openBlock('text', { type: 'text', text: '' }));
      out.push(this.#event('content_block_delta', { index: this.#open!.index, delta: { type: 'text_delta', text: delta.content } }));
    }
    for (const call of Array.isArray(delta.tool_calls) ? (delta.tool_calls as Json[]) : []) {
      const toolIndex = typeof call.index === 'number' ? call.index : 0;
      const fn = isRecord(call.function) ? call.function : {};
      if (this.#open?.kind !== 'tool' || this.#open.toolIndex !== toolIndex) {
        out.push(...this.#openBlock('tool', { type: 'tool_use', id: String(call.id ?? `toolu_${toolIndex}`), name: String(fn.name ?? ''), input: {} }, toolIndex));
      }
      if (typeof fn.arguments === 'string' && fn.arguments !== '') {
        out.push(this.#event('content_block_delta', { index: this.#open!.index, delta: { type: 'input_json_delta', partial_json: fn.arguments } }));
      }
    }
    if (choice.finish_reason != null) this.#finish = choice.finish_reason;
    return out;
  }

  #finishStream(): StreamEvent[] {
    if (this.#ended) return [];
    this.#ended = true;
    const out = [...this.#start({}), ...this.#close()];
    const usage = anthropicUsageOf(this.#usage);
    out.push(this.#event('message_delta', { delta: { stop_reason: stopReasonOf(this.#finish), stop_sequence: null }, usage }));
    // The settlement reads the usage off the last event.
    out.push(this.#event('message_stop', {}, this.#usage));
    return out;
  }

  end(): StreamEvent[] {
    return this.#finishStream();
  }
}
