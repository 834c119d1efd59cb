import type { StreamEvent } from '../types.js';
import type { EndpointTransforms, RawSseEvent, StreamTranslator } from '../transforms.js';
import { isRecord, usageOfResponses } from '../usage.js';

/*
 * The Responses API to a deployment that serves it (OpenAI, Azure): the
 * client's bytes go out with only the model edited, the answer comes back as
 * it is, events with their names. Read on the way: the usage (in the
 * response, or in the event that ends the stream) and the id of a response
 * the provider stores, so the gateway can route its retrieval later.
 */

const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** The id of a response the provider keeps (store not false), as the provider reported it. */
export function storedIdOf(response: unknown): string | undefined {
  return isRecord(response) && typeof response.id === 'string' && response.store !== false ? response.id : undefined;
}

class PassthroughStream implements StreamTranslator {
  push(event: RawSseEvent): StreamEvent[] {
    const out: StreamEvent = { data: event.data, ...(event.event === undefined ? {} : { event: event.event }), usage: null, usageOnly: false };
    // Only the first and the last events are parsed; the deltas between go by as text.
    const created = event.event === 'response.created';
    if (created || FINAL_EVENTS.has(event.event ?? '')) {
      try {
        const payload: unknown = JSON.parse(event.data);
        const response = isRecord(payload) ? payload.response : undefined;
        if (created) {
          const id = storedIdOf(response);
          if (id !== undefined) out.storedResponseId = id;
        } else {
          out.usage = isRecord(response) ? usageOfResponses(response.usage) : null;
        }
      } catch {
        // Relayed as sent: the client's SDK reports a broken event better than the gateway could.
      }
    }
    return [out];
  }

  end(): StreamEvent[] {
    return [];
  }
}

export const RESPONSES_PASSTHROUGH: EndpointTransforms = {
  response: (json) => {
    const storedResponseId = storedIdOf(json);
    return { body: null, usage: isRecord(json) ? usageOfResponses(json.usage) : null, ...(storedResponseId === undefined ? {} : { storedResponseId }) };
  },
  stream: () => new PassthroughStream(),
};
