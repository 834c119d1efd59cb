import { ProviderStreamError, type StreamEvent } from '../types.js';
import type { RawSseEvent, StreamTranslator } from '../transforms.js';
import { isRecord } from '../usage.js';
import { completionId, finishReasonOf, usageOfConverse } from './chat-response.js';
import { RESPONSE_FORMAT_TOOL } from './shapes.js';
import { EXCEPTION_EVENT_PREFIX } from './event-stream.js';
import { ChatChunks } from '../chat-chunks.js';

const DONE: StreamEvent = Object.freeze({ data: '[DONE]', usage: null, usageOnly: false });

interface BlockState {
  kind: 'tool' | 'json';
  /** OpenAI's tool_calls index of a toolUse block. */
  toolIndex: number;
}

/**
 * ConverseStream's events -> OpenAI chunks, one event at a time:
 * messageStart opens the assistant turn, text and reasoning deltas become
 * content and reasoning_content, a toolUse block's start and its input
 * pieces one tool call's deltas, messageStop's stopReason the finish_reason,
 * and metadata (which comes last, with the usage) the usage-only chunk (the
 * relay drops it when the client did not ask) before `[DONE]`. An exception
 * event mid-stream breaks the stream.
 */
export class ConverseStreamTranslator implements StreamTranslator {
  readonly #out: ChatChunks;
  readonly #deploymentId: string;
  readonly #jsonMode: boolean;
  #blocks = new Map<number, BlockState>();
  #tools = 0;
  #stopped = false;

  constructor(deploymentId: string, model: string, jsonMode: boolean) {
    this.#deploymentId = deploymentId;
    this.#out = new ChatChunks(completionId(), model);
    this.#jsonMode = jsonMode;
  }



  push(event: RawSseEvent): StreamEvent[] {
    const name = event.event ?? '';
    if (name.startsWith(EXCEPTION_EVENT_PREFIX)) {
      // Bedrock's message may quote the prompt; the kind is what the client needs.
      const kind = name.slice(EXCEPTION_EVENT_PREFIX.length);
      throw new ProviderStreamError('connection_error', this.#deploymentId, `deployment ${this.#deploymentId} ended its stream with ${kind}`);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(event.data);
    } catch {
      throw new ProviderStreamError('invalid_response', this.#deploymentId, `deployment ${this.#deploymentId} sent a stream event that is not JSON`);
    }
    if (!isRecord(payload)) return [];
    switch (name) {
      case 'messageStart':
        return [this.#out.delta({ role: 'assistant', content: '' })];
      case 'contentBlockStart':
        return this.#blockStart(payload);
      case 'contentBlockDelta':
        return this.#blockDelta(payload);
      case 'messageStop': {
        this.#stopped = true;
        const finish = finishReasonOf(payload.stopReason, this.#jsonMode);
        return finish === null ? [] : [this.#out.chunk({ delta: {}, finish_reason: finish })];
      }
      case 'metadata': {
        const usage = usageOfConverse(payload.usage);
        return usage === null ? [] : [this.#out.chunk(null, usage)];
      }
      default:
        // contentBlockStop and event types added later carry nothing a chunk says.
        return [];
    }
  }

  #blockStart(payload: Record<string, unknown>): StreamEvent[] {
    const index = typeof payload.contentBlockIndex === 'number' ? payload.contentBlockIndex : this.#blocks.size;
    const start = isRecord(payload.start) ? payload.start : {};
    if (!isRecord(start.toolUse)) return [];
    const use = start.toolUse;
    if (this.#jsonMode && use.name === RESPONSE_FORMAT_TOOL) {
      this.#blocks.set(index, { kind: 'json', toolIndex: -1 });
      return [];
    }
    const toolIndex = this.#tools++;
    this.#blocks.set(index, { kind: 'tool', toolIndex });
    return [this.#out.delta({ tool_calls: [{ index: toolIndex, id: use.toolUseId, type: 'function', function: { name: use.name, arguments: '' } }] })];
  }

  #blockDelta(payload: Record<string, unknown>): StreamEvent[] {
    const delta = isRecord(payload.delta) ? payload.delta : {};
    if (typeof delta.text === 'string') return delta.text === '' ? [] : [this.#out.delta({ content: delta.text })];
    if (isRecord(delta.reasoningContent) && typeof delta.reasoningContent.text === 'string') {
      return [this.#out.delta({ reasoning_content: delta.reasoningContent.text })];
    }
    if (isRecord(delta.toolUse)) {
      const piece = typeof delta.toolUse.input === 'string' ? delta.toolUse.input : '';
      const state = this.#blocks.get(typeof payload.contentBlockIndex === 'number' ? payload.contentBlockIndex : -1);
      if (piece === '' || state === undefined) return [];
      if (state.kind === 'json') return [this.#out.delta({ content: piece })];
      return [this.#out.delta({ tool_calls: [{ index: state.toolIndex, function: { arguments: piece } }] })];
    }
    // Reasoning signatures, citations: nothing in OpenAI's chunk shape says them.
    return [];
  }

  end(): StreamEvent[] {
    // Whole frames up to a clean end, but no messageStop: the answer was cut short.
    if (!this.#stopped) {
      throw new ProviderStreamError('connection_error', this.#deploymentId, `the stream of deployment ${this.#deploymentId} ended before its messageStop event`);
    }
    return [DONE];
  }
}
