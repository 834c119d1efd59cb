import type { Usage } from '@switchyard/contracts';
import type { StreamEvent } from './types.js';

/**
 * The OpenAI chat chunks one translated stream emits: every chunk of a stream
 * carries the same id, created time and model. A translator may learn the id
 * and model from the provider's first event (Anthropic's message_start,
 * Gemini's responseId), so both stay writable.
 */
export class ChatChunks {
  readonly created = Math.floor(Date.now() / 1000);
  id: string;
  model: string;

  constructor(id: string, model: string) {
    this.id = id;
    this.model = model;
  }

  /** One chunk with `choice` (index 0 unless it says otherwise), or the usage-only chunk when `choice` is null. */
  chunk(choice: Record<string, unknown> | null, usage: Usage | null = null): StreamEvent {
    const payload = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: choice === null ? [] : [{ index: 0, logprobs: null, finish_reason: null, ...choice }],
      ...(usage === null ? {} : { usage }),
    };
    return { data: JSON.stringify(payload), usage, usageOnly: usage !== null && choice === null };
  }

  delta(delta: Record<string, unknown>): StreamEvent {
    return this.chunk({ delta });
  }
}
