import type { Usage } from '@switchyard/contracts';
import type { StreamEvent } from '../types.js';
import type { RawSseEvent, StreamTranslator } from '../transforms.js';
import { isRecord, usageFrom } from '../usage.js';
import { functionCallItem, messageItem, newItemId, newResponseId, outputText, responseObject, statusOf, type ResponseState } from './response-object.js';

type Json = Record<string, unknown>;

type OpenItem =
  | { kind: 'text'; index: number; id: string; text: string }
  | { kind: 'tool'; index: number; id: string; callId: string; name: string; args: string; toolIndex: number };

/**
 * OpenAI chat chunks -> the Responses API's stream events, each with its
 * `event:` name and sequence number: response.created and
 * response.in_progress on the first chunk; one message item for the text
 * (output_item.added, content_part.added, output_text.delta ... and their
 * .done events); one function_call item per tool call, its argument pieces
 * as function_call_arguments.delta; and at the end (the `[DONE]`, or the
 * stream's end) response.completed (response.incomplete when the model ran
 * out of tokens) carrying the whole response and its usage. The usage chunk
 * chat sends after the finish reason is folded into that last event.
 */
export class ChatToResponsesStream implements StreamTranslator {
  readonly #clientBody: Readonly<Json>;
  readonly #id = newResponseId();
  #createdAt = Math.floor(Date.now() / 1000);
  #model: string;
  #sequence = 0;
  #started = false;
  #ended = false;
  #output: Json[] = [];
  #open: OpenItem | null = null;
  #finish: unknown = null;
  #usage: Usage | null = null;

  constructor(clientBody: Readonly<Json>) {
    this.#clientBody = clientBody;
    this.#model = String(clientBody.model ?? '');
  }

  #event(type: string, data: Json, usage: Usage | null = null): StreamEvent {
    return { event: type, data: JSON.stringify({ type, ...data, sequence_number: this.#sequence++ }), usage, usageOnly: false };
  }

  #response(state: Pick<ResponseState, 'status' | 'incompleteReason'>, output: Json[], usage: Usage | null): Json {
    return responseObject(this.#clientBody, { id: this.#id, createdAt: this.#createdAt, model: this.#model, output, usage, ...state });
  }

  #start(chunk: Json): StreamEvent[] {
    if (this.#started) return [];
    this.#started = true;
    if (typeof chunk.model === 'string') this.#model = chunk.model;
    if (typeof chunk.created === 'number') this.#createdAt = chunk.created;
    const response = this.#response({ status: 'in_progress' }, [], null);
    return [this.#event('response.created', { response }), this.#event('response.in_progress', { response })];
  }

  #close(): StreamEvent[] {
    const open = this.#open;
    if (open === null) return [];
    this.#open = null;
    const at = { item_id: open.id, output_index: open.index };
    if (open.kind === 'text') {
      const item = messageItem(open.id, open.text, 'completed');
      this.#output.push(item);
      return [
        this.#event('response.output_text.done', { ...at, content_index: 0, text: open.text, logprobs: [] }),
        this.#event('response.content_part.done', { ...at, content_index: 0, part: outputText(open.text) }),
        this.#event('response.output_item.done', { output_index: open.index, item }),
      ];
    }
    const item = functionCallItem(open.id, open.callId, open.name, open.args, 'completed');
    this.#output.push(item);
    return [
      this.#event('response.function_call_arguments.done', { ...at, name: open.name, arguments: open.args }),
      this.#event('response.output_item.done', { output_index: open.index, item }),
    ];
  }

  #text(piece: string): StreamEvent[] {
    const out: StreamEvent[] = [];
    if (this.#open?.kind !== 'text') {
      out.push(...this.#close());
      const open: OpenItem = { kind: 'text', index: this.#output.length, id: newItemId('msg'), text: '' };
      this.#open = open;
      out.push(this.#event('response.output_item.added', { output_index: open.index, item: messageItem(open.id, '', 'in_progress') }));
      out.push(this.#event('response.content_part.added', { item_id: open.id, output_index: open.index, content_index: 0, part: outputText('') }));
    }
    const open = this.#open as Extract<OpenItem, { kind: 'text' }>;
    open.text += piece;
    out.push(this.#event('response.output_text.delta', { item_id: open.id, output_index: open.index, content_index: 0, delta: piece, logprobs: [] }));
    return out;
  }

  #toolCall(call: Json): StreamEvent[] {
    const out: StreamEvent[] = [];
    const toolIndex = typeof call.index === 'number' ? call.index : 0;
    const fn = isRecord(call.function) ? call.function : {};
    if (this.#open?.kind !== 'tool' || this.#open.toolIndex !== toolIndex) {
      out.push(...this.#close());
      const callId = typeof call.id === 'string' ? call.id : `call_${toolIndex}`;
      const open: OpenItem = { kind: 'tool', index: this.#output.length, id: newItemId('fc'), callId, name: String(fn.name ?? ''), args: '', toolIndex };
      this.#open = open;
      out.push(this.#event('response.output_item.added', { output_index: open.index, item: functionCallItem(open.id, callId, open.name, '', 'in_progress') }));
    }
    const open = this.#open as Extract<OpenItem, { kind: 'tool' }>;
    if (typeof fn.arguments === 'string' && fn.arguments !== '') {
      open.args += fn.arguments;
      out.push(this.#event('response.function_call_arguments.delta', { item_id: open.id, output_index: open.index, delta: fn.arguments }));
    }
    return out;
  }

  push(event: RawSseEvent): StreamEvent[] {
    if (this.#ended) return [];
    if (event.data === '[DONE]') return this.#finishStream();
    let chunk: unknown;
    try {
      chunk = JSON.parse(event.data);
    } catch {
      return [];
    }
    if (!isRecord(chunk)) return [];
    // A provider's error mid-stream (OpenAI-compatible servers send `{"error": {...}}`): the client gets Responses' error event.
    if (isRecord(chunk.error)) {
      this.#ended = true;
      const error = chunk.error;
      return [...this.#start(chunk), this.#event('error', { code: typeof error.code === 'string' ? error.code : null, message: String(error.message ?? 'the provider reported an error'), param: null })];
    }
    const out = this.#start(chunk);
    const usage = usageFrom(chunk);
    if (usage !== null) this.#usage = usage;
    const choice = Array.isArray(chunk.choices) && isRecord(chunk.choices[0]) ? chunk.choices[0] : null;
    if (choice === null) return out;
    const delta = isRecord(choice.delta) ? choice.delta : {};
    for (const field of ['content', 'refusal'] as const) {
      if (typeof delta[field] === 'string' && delta[field] !== '') out.push(...this.#text(delta[field]));
    }
    for (const call of Array.isArray(delta.tool_calls) ? (delta.tool_calls as Json[]) : []) out.push(...this.#toolCall(call));
    if (choice.finish_reason != null) this.#finish = choice.finish_reason;
    return out;
  }

  #finishStream(): StreamEvent[] {
    if (this.#ended) return [];
    this.#ended = true;
    const out = [...this.#start({}), ...this.#close()];
    const state = statusOf(this.#finish);
    const response = this.#response(state, this.#output, this.#usage);
    // The settlement reads the usage off the last event.
    out.push(this.#event(state.status === 'completed' ? 'response.completed' : 'response.incomplete', { response }, this.#usage));
    return out;
  }

  end(): StreamEvent[] {
    return this.#finishStream();
  }
}
