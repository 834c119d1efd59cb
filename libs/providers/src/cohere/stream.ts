import { ProviderStreamError, type StreamEvent } from '../types.js';
import type { RawSseEvent, StreamTranslator } from '../transforms.js';
import { isRecord } from '../usage.js';
import { finishReasonOf, usageOfCohere } from './response.js';
import { ChatChunks } from '../chat-chunks.js';

const DONE: StreamEvent = Object.freeze({ data: '[DONE]', usage: null, usageOnly: false });

/** `delta.message` of a Cohere stream event. */
function messageOf(payload: Record<string, unknown>): Record<string, unknown> {
  const delta = isRecord(payload.delta) ? payload.delta : {};
  return isRecord(delta.message) ? delta.message : {};
}

/**
 * Cohere v2's stream events -> OpenAI chunks, one event at a time
 * (https://docs.cohere.com/docs/streaming): message-start opens the assistant
 * turn; content-delta text is content and thinking is reasoning_content, as is
 * tool-plan-delta; tool-call-start opens one tool call and tool-call-delta
 * adds to its arguments; message-end's finish_reason is the finish chunk and
 * its usage the usage-only chunk (dropped by the relay when the client did not
 * ask), then `[DONE]`. content-start/-end, tool-call-end, citations and debug
 * events carry nothing a chunk says.
 */
export class CohereStreamTranslator implements StreamTranslator {
  readonly #out: ChatChunks;
  readonly #deploymentId: string;
  #tools = 0;
  #ended = false;

  constructor(deploymentId: string, model: string) {
    this.#deploymentId = deploymentId;
    this.#out = new ChatChunks('cohere-unknown', model);
  }

  #broken(message: string): ProviderStreamError {
    return new ProviderStreamError('invalid_response', this.#deploymentId, `deployment ${this.#deploymentId} ${message}`);
  }

  push(event: RawSseEvent): StreamEvent[] {
    // Cohere's SDK reads `[DONE]` as the stream's terminator; the gateway sends its own after message-end.
    if (event.data === '[DONE]') return [];
    let payload: unknown;
    try {
      payload = JSON.parse(event.data);
    } catch {
      throw this.#broken('sent a stream event that is not JSON');
    }
    if (!isRecord(payload)) return [];
    const message = messageOf(payload);
    switch (payload.type) {
      case 'message-start':
        if (typeof payload.id === 'string') this.#out.id = payload.id;
        return [this.#out.delta({ role: 'assistant', content: '' })];
      case 'content-start':
      case 'content-delta': {
        const content = isRecord(message.content) ? message.content : {};
        if (typeof content.text === 'string' && content.text !== '') return [this.#out.delta({ content: content.text })];
        if (typeof content.thinking === 'string' && content.thinking !== '') return [this.#out.delta({ reasoning_content: content.thinking })];
        return [];
      }
      case 'tool-plan-delta':
        return typeof message.tool_plan === 'string' && message.tool_plan !== '' ? [this.#out.delta({ reasoning_content: message.tool_plan })] : [];
      case 'tool-call-start': {
        const call = isRecord(message.tool_calls) ? message.tool_calls : {};
        const fn = isRecord(call.function) ? call.function : {};
        const index = this.#tools++;
        const args = typeof fn.arguments === 'string' ? fn.arguments : '';
        return [this.#out.delta({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: fn.name, arguments: args } }] })];
      }
      case 'tool-call-delta': {
        const call = isRecord(message.tool_calls) ? message.tool_calls : {};
        const fn = isRecord(call.function) ? call.function : {};
        if (this.#tools === 0 || typeof fn.arguments !== 'string' || fn.arguments === '') return [];
        return [this.#out.delta({ tool_calls: [{ index: this.#tools - 1, function: { arguments: fn.arguments } }] })];
      }
      case 'message-end': {
        this.#ended = true;
        const delta = isRecord(payload.delta) ? payload.delta : {};
        // Cohere ends a failed generation with an error message here: what came before is incomplete.
        if (typeof delta.error === 'string' && delta.error !== '') {
          throw new ProviderStreamError('connection_error', this.#deploymentId, `deployment ${this.#deploymentId} ended its stream with an error`);
        }
        const finish = finishReasonOf(delta.finish_reason) ?? (this.#tools > 0 ? 'tool_calls' : 'stop');
        const usage = usageOfCohere(isRecord(delta.usage) ? delta.usage : null);
        return [this.#out.chunk({ delta: {}, finish_reason: finish }), ...(usage === null ? [] : [this.#out.chunk(null, usage)])];
      }
      default:
        return [];
    }
  }

  end(): StreamEvent[] {
    // Cohere sends no terminator of its own: message-end is the only proof the stream is whole.
    if (!this.#ended) throw new ProviderStreamError('connection_error', this.#deploymentId, `the stream of deployment ${this.#deploymentId} ended before message-end`);
    return [DONE];
  }
}
