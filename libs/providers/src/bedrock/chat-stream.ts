import type { Usage } from '@switchyard/contracts';
import { ProviderStreamError, type StreamEvent } from '../types.js';
import type { RawSseEvent, StreamTranslator } from '../transforms.js';
import { isRecord } from '../usage.js';
import { completionId, finishReasonOf, usageOfConverse } from './chat-response.js';
import { RESPONSE_FORMAT_TOOL } from './shapes.js';
import { EXCEPTION_EVENT_PREFIX } from './event-stream.js';

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
  readonly #deploymentId: string;
  readonly #model: string;
  readonly #jsonMode: boolean;
  readonly #id = completionId();
  readonly #created = Math.floor(Date.now() / 1000);
  #blocks = new Map<number, BlockState>();
  #tools = 0;
  #stopped = false;

  constructor(deploymentId: string, model: string, jsonMode: boolean) {
    this.#deploymentId = deploymentId;
    this.#model = model;
    this.#jsonMode = jsonMode;
  }

  #chunk(choice: Record<string, unknown> | null, usage: Usage | null = null): StreamEvent {
    const payload = {
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#created,
      model: this.#model,
      choices: choice === null ? [] : [{ index: 0, logprobs: null, finish_reason: null, ...choice }],
      ...(usage === null ? {} : { usage }),
    };
    return { data: JSON.stringify(payload), usage, usageOnly: usage !== null && choice === null };
  }

  #delta(delta: Record<string, unknown>): StreamEvent {
    return this.#chunk({ delta });
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
        return [this.#delta({ role: 'assistant', content: '' })];
      case 'contentBlockStart':
        return this.#blockStart(payload);
      case 'contentBlockDelta':
        return this.#blockDelta(payload);
      case 'messageStop': {
        this.#stopped = true;
        const finish = finishReasonOf(payload.stopReason, this.#jsonMode);
        return finish === null ? [] : [this.#chunk({ delta: {}, finish_reason: finish })];
      }
      case 'metadata': {
        const usage = usageOfConverse(payload.usage);
        return usage === null ? [] : [this.#chunk(null, usage)];
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
    return [this.#delta({ tool_calls: [{ index: toolIndex, id: use.toolUseId, type: 'function', function: { name: use.name, arguments: '' } }] })];
  }

  #blockDelta(payload: Record<string, unknown>): StreamEvent[] {
    const delta = isRecord(payload.delta) ? payload.delta : {};
    if (typeof delta.text === 'string') return delta.text === '' ? [] : [this.#delta({ content: delta.text })];
    if (isRecord(delta.reasoningContent) && typeof delta.reasoningContent.text === 'string') {
      return [this.#delta({ reasoning_content: delta.reasoningContent.text })];
    }
    if (isRecord(delta.toolUse)) {
      const piece = typeof delta.toolUse.input === 'string' ? delta.toolUse.input : '';
      const state = this.#blocks.get(typeof payload.contentBlockIndex === 'number' ? payload.contentBlockIndex : -1);
      if (piece === '' || state === undefined) return [];
      if (state.kind === 'json') return [this.#delta({ content: piece })];
      return [this.#delta({ tool_calls: [{ index: state.toolIndex, function: { arguments: piece } }] })];
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
