import { randomBytes } from 'node:crypto';
import { ProviderStreamError, type StreamEvent } from '../types.js';
import type { RawSseEvent, StreamTranslator } from '../transforms.js';
import { isRecord } from '../usage.js';
import { candidateContent, usageOfGemini } from './response.js';
import { finishReasonOf, type GeminiCandidate, type GeminiResponse, type GeminiUsageMetadata } from './shapes.js';
import { ChatChunks } from '../chat-chunks.js';

const DONE: StreamEvent = Object.freeze({ data: '[DONE]', usage: null, usageOnly: false });

interface ChoiceState {
  opened: boolean;
  tools: number;
  finished: boolean;
}

/**
 * streamGenerateContent?alt=sse -> OpenAI chunks. Every event is a whole
 * GenerateContentResponse holding the next parts: text becomes content
 * deltas, thoughts reasoning_content, each functionCall (Gemini sends it
 * whole) one tool-call delta with its full arguments; finishReason the
 * finish chunk. Gemini sends no terminal event: the stream's end adds the
 * usage-only chunk (the last usageMetadata is the whole call's) and
 * `[DONE]`, and a stream that ends before any finishReason was cut.
 */
export class GeminiStreamTranslator implements StreamTranslator {
  readonly #out: ChatChunks;
  readonly #deploymentId: string;
  #usage: GeminiUsageMetadata | null = null;
  #choices = new Map<number, ChoiceState>();

  constructor(deploymentId: string, model: string) {
    this.#deploymentId = deploymentId;
    this.#out = new ChatChunks(`chatcmpl-${randomBytes(12).toString('hex')}`, model);
  }


  push(event: RawSseEvent): StreamEvent[] {
    let payload: unknown;
    try {
      payload = JSON.parse(event.data);
    } catch {
      throw new ProviderStreamError('invalid_response', this.#deploymentId, `deployment ${this.#deploymentId} sent a stream event that is not JSON`);
    }
    if (!isRecord(payload)) return [];
    // An error mid-stream comes as Google's error object.
    if (isRecord(payload.error)) {
      const status = typeof payload.error.status === 'string' ? payload.error.status : 'an error';
      throw new ProviderStreamError('connection_error', this.#deploymentId, `deployment ${this.#deploymentId} ended its stream with ${status}`);
    }
    const response = payload as GeminiResponse;
    if (typeof response.responseId === 'string') this.#out.id = response.responseId;
    if (typeof response.modelVersion === 'string') this.#out.model = response.modelVersion;
    if (isRecord(response.usageMetadata)) this.#usage = response.usageMetadata;
    const out: StreamEvent[] = [];
    const candidates = Array.isArray(response.candidates) ? response.candidates : [];
    candidates.forEach((candidate, i) => out.push(...this.#candidate(candidate, typeof candidate.index === 'number' ? candidate.index : i)));
    if (candidates.length === 0 && response.promptFeedback?.blockReason !== undefined) {
      const state = this.#state(0);
      if (!state.finished) {
        state.finished = true;
        out.push(this.#out.chunk({ index: 0, delta: state.opened ? {} : { role: 'assistant', content: null }, finish_reason: 'content_filter' }));
      }
    }
    return out;
  }

  #state(index: number): ChoiceState {
    let state = this.#choices.get(index);
    if (state === undefined) {
      state = { opened: false, tools: 0, finished: false };
      this.#choices.set(index, state);
    }
    return state;
  }

  #candidate(candidate: GeminiCandidate, index: number): StreamEvent[] {
    const state = this.#state(index);
    const out: StreamEvent[] = [];
    const delta = (fields: Record<string, unknown>) => {
      const opening = state.opened ? {} : { role: 'assistant' };
      state.opened = true;
      out.push(this.#out.chunk({ index, delta: { ...opening, ...fields } }));
    };
    const { text, reasoning, toolCalls } = candidateContent(candidate);
    if (reasoning !== '') delta({ reasoning_content: reasoning });
    if (text !== '') delta({ content: text });
    for (const call of toolCalls) delta({ tool_calls: [{ index: state.tools++, ...call }] });
    const finish = finishReasonOf(candidate.finishReason, state.tools > 0);
    if (finish !== null && !state.finished) {
      state.finished = true;
      if (!state.opened) delta({ content: '' });
      out.push(this.#out.chunk({ index, delta: {}, finish_reason: finish }));
    }
    return out;
  }

  end(): StreamEvent[] {
    const finished = [...this.#choices.values()].some((state) => state.finished);
    if (!finished) {
      throw new ProviderStreamError('connection_error', this.#deploymentId, `the stream of deployment ${this.#deploymentId} ended before Gemini finished its answer`);
    }
    const usage = usageOfGemini(this.#usage);
    return usage === null ? [DONE] : [this.#out.chunk(null, usage), DONE];
  }
}
