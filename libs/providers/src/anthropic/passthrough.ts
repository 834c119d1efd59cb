import type { StreamEvent } from '../types.js';
import type { EndpointTransforms, RawSseEvent, StreamTranslator } from '../transforms.js';
import { isRecord } from '../usage.js';
import { usageOfAnthropic } from './response.js';
import type { AnthropicUsage } from './shapes.js';

/**
 * Anthropic's messages, to Anthropic: the client's bytes go out with only the
 * model edited, the answer comes back as it is, and the usage is read for
 * settlement (message_start carries the input, message_delta the output so far;
 * the event that ends the stream carries the sum).
 */
class PassthroughStream implements StreamTranslator {
  #usage: Partial<AnthropicUsage> = {};

  push(event: RawSseEvent): StreamEvent[] {
    let usage = null;
    if (event.event === 'message_start' || event.event === 'message_delta' || event.event === 'message_stop') {
      try {
        const payload: unknown = JSON.parse(event.data);
        const source = isRecord(payload) ? (isRecord(payload.message) ? payload.message.usage : payload.usage) : undefined;
        if (isRecord(source)) this.#usage = { ...this.#usage, ...(source as Partial<AnthropicUsage>) };
      } catch {
        // Relayed as sent: the client's SDK reports a broken event better than the gateway could.
      }
      if (event.event === 'message_stop') usage = usageOfAnthropic(this.#usage as AnthropicUsage);
    }
    return [{ data: event.data, ...(event.event === undefined ? {} : { event: event.event }), usage, usageOnly: false }];
  }

  end(): StreamEvent[] {
    return [];
  }
}

export const MESSAGES_PASSTHROUGH: EndpointTransforms = {
  response: (json) => ({ body: null, usage: isRecord(json) ? usageOfAnthropic(json.usage as AnthropicUsage) : null }),
  stream: () => new PassthroughStream(),
};
