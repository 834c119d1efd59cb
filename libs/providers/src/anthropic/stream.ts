import { ProviderStreamError, type StreamEvent } from '../types.js';
import type { RawSseEvent, StreamTranslator } from '../transforms.js';
import { isRecord } from '../usage.js';
import { finishReasonOf, usageOfAnthropic } from './response.js';
import { RESPONSE_FORMAT_TOOL, type AnthropicUsage } from './shapes.js';
import { ChatChunks } from '../chat-chunks.js';

const DONE: StreamEvent = Object.freeze({ data: '[DONE]', usage: null, usageOnly: false });

interface BlockState {
  kind: 'text' | 'tool' | 'json' | 'thinking' | 'other';
  /** OpenAI's tool_calls index of a tool_use block. */
  toolIndex: number;
}

/**
 * Anthropic's stream events -> OpenAI chunks, one event at a time:
 * message_start opens the assistant turn, text and thinking deltas become
 * content and reasoning_content, a tool_use block's start and its
 * input_json_delta pieces become one tool call's deltas, message_delta's
 * stop_reason the finish_reason, and message_stop the usage-only chunk (the
 * relay drops it when the client did not ask) then `[DONE]`.
 */
export class AnthropicStreamTranslator implements StreamTranslator {
  readonly #deploymentId: string;
  readonly #jsonMode: boolean;
  readonly #out = new ChatChunks('msg_unknown', '');
  #usage: Partial<AnthropicUsage> = {};
  #blocks = new Map<number, BlockState>();
  #tools = 0;
  #stopped = false;

  constructor(deploymentId: string, jsonMode: boolean) {
    this.#deploymentId = deploymentId;
    this.#jsonMode = jsonMode;
  }



  push(event: RawSseEvent): StreamEvent[] {
    let payload: unknown;
    try {
      payload = JSON.parse(event.data);
    } catch {
      throw new ProviderStreamError('invalid_response', this.#deploymentId, `deployment ${this.#deploymentId} sent a stream event that is not JSON`);
    }
    if (!isRecord(payload)) return [];
    switch (payload.type) {
      case 'message_start': {
        const message = isRecord(payload.message) ? payload.message : {};
        if (typeof message.id === 'string') this.#out.id = message.id;
        if (typeof message.model === 'string') this.#out.model = message.model;
        if (isRecord(message.usage)) this.#usage = { ...(message.usage as Partial<AnthropicUsage>) };
        return [this.#out.delta({ role: 'assistant', content: '' })];
      }
      case 'content_block_start':
        return this.#blockStart(payload);
      case 'content_block_delta':
        return this.#blockDelta(payload);
      case 'message_delta': {
        if (isRecord(payload.usage)) this.#usage = { ...this.#usage, ...(payload.usage as Partial<AnthropicUsage>) };
        const delta = isRecord(payload.delta) ? payload.delta : {};
        const finish = finishReasonOf(delta.stop_reason, this.#jsonMode);
        return finish === null ? [] : [this.#out.chunk({ delta: {}, finish_reason: finish })];
      }
      case 'message_stop':
        this.#stopped = true;
        return [this.#out.chunk(null, usageOfAnthropic(this.#usage as AnthropicUsage))];
      case 'error': {
        const error = isRecord(payload.error) ? payload.error : {};
        const kind = typeof error.type === 'string' ? error.type : 'error';
        throw new ProviderStreamError('connection_error', this.#deploymentId, `deployment ${this.#deploymentId} ended its stream with ${kind}`);
      }
      default:
        // ping, content_block_stop and event types added later carry nothing a chunk says.
        return [];
    }
  }

  #blockStart(payload: Record<string, unknown>): StreamEvent[] {
    const index = typeof payload.index === 'number' ? payload.index : this.#blocks.size;
    const block = isRecord(payload.content_block) ? payload.content_block : {};
    if (block.type === 'tool_use') {
      if (this.#jsonMode && block.name === RESPONSE_FORMAT_TOOL) {
        this.#blocks.set(index, { kind: 'json', toolIndex: -1 });
        return [];
      }
      const toolIndex = this.#tools++;
      this.#blocks.set(index, { kind: 'tool', toolIndex });
      return [this.#out.delta({ tool_calls: [{ index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] })];
    }
    const kind = block.type === 'text' ? 'text' : block.type === 'thinking' ? 'thinking' : 'other';
    this.#blocks.set(index, { kind, toolIndex: -1 });
    // A text block may start with text already (it does not today; the API allows it).
    if (kind === 'text' && typeof block.text === 'string' && block.text !== '') return [this.#out.delta({ content: block.text })];
    return [];
  }

  #blockDelta(payload: Record<string, unknown>): StreamEvent[] {
    const state = this.#blocks.get(typeof payload.index === 'number' ? payload.index : -1);
    const delta = isRecord(payload.delta) ? payload.delta : {};
    switch (delta.type) {
      case 'text_delta':
        return typeof delta.text === 'string' ? [this.#out.delta({ content: delta.text })] : [];
      case 'thinking_delta':
        return typeof delta.thinking === 'string' ? [this.#out.delta({ reasoning_content: delta.thinking })] : [];
      case 'input_json_delta': {
        const piece = typeof delta.partial_json === 'string' ? delta.partial_json : '';
        if (piece === '' || state === undefined) return [];
        if (state.kind === 'json') return [this.#out.delta({ content: piece })];
        return [this.#out.delta({ tool_calls: [{ index: state.toolIndex, function: { arguments: piece } }] })];
      }
      default:
        // signature_delta, citations_delta: nothing in OpenAI's chunk shape says them.
        return [];
    }
  }

  end(): StreamEvent[] {
    // A stream that ends without message_stop was cut: the client must not take it for a whole answer.
    if (!this.#stopped) {
      throw new ProviderStreamError('connection_error', this.#deploymentId, `the stream of deployment ${this.#deploymentId} ended before Anthropic's message_stop`);
    }
    return [DONE];
  }
}
