import { EventStreamCodec, getChunkedStream } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import type { StreamFraming } from '../providers/base.js';
import type { RawSseEvent } from '../transforms.js';
import { EVENT_STREAM_CONTENT_TYPE } from './shapes.js';

/*
 * ConverseStream answers in AWS's binary event stream
 * (application/vnd.amazon.eventstream): length-prefixed messages with CRCs,
 * headers naming the message type and the event. The AWS SDK's own codec
 * splits the bytes into messages (wherever the chunks break) and checks each
 * CRC; a message that fails is a broken stream.
 */

/** An exception message (`:message-type: exception`) reaches the translator as an event named this plus its type. */
export const EXCEPTION_EVENT_PREFIX = 'exception:';

/**
 * Largest event message accepted: AWS's event stream caps a message at 16 MiB
 * (with its prelude); the length prefix of a corrupted stream must not make
 * the gateway allocate gigabytes.
 */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024 + 1024;

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function headerText(headers: Record<string, { type: string; value: unknown }>, name: string): string | undefined {
  const header = headers[name];
  return header?.type === 'string' ? (header.value as string) : undefined;
}

/**
 * The bytes of the source, refused once a message prefix announces more than
 * MAX_MESSAGE_BYTES. It follows the prefixes only to bound them; splitting and
 * checking stay the codec's.
 */
async function* boundedMessages(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  let untilNext = 0;
  const prefix: number[] = [];
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      if (untilNext > 0) {
        const step = Math.min(untilNext, chunk.length - offset);
        untilNext -= step;
        offset += step;
        continue;
      }
      prefix.push(chunk[offset]!);
      offset += 1;
      if (prefix.length === 4) {
        const length = ((prefix[0]! << 24) >>> 0) + (prefix[1]! << 16) + (prefix[2]! << 8) + prefix[3]!;
        if (length > MAX_MESSAGE_BYTES || length < 16) throw new Error(`an event stream message announced ${length} bytes`);
        untilNext = length - 4;
        prefix.length = 0;
      }
    }
    yield chunk;
  }
}

/** Event-stream bytes -> events: `event` the event type, `data` the JSON payload. */
export async function* decodeEventStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<RawSseEvent, void, undefined> {
  for await (const bytes of getChunkedStream(boundedMessages(body))) {
    const message = codec.decode(bytes);
    const headers = message.headers as Record<string, { type: string; value: unknown }>;
    const kind = headerText(headers, ':message-type');
    const data = toUtf8(message.body);
    if (kind === 'event') yield { event: headerText(headers, ':event-type') ?? '', data };
    else if (kind === 'exception') yield { event: `${EXCEPTION_EVENT_PREFIX}${headerText(headers, ':exception-type') ?? 'unknown'}`, data };
    else yield { event: `${EXCEPTION_EVENT_PREFIX}${headerText(headers, ':error-code') ?? 'error'}`, data };
  }
}

export const BEDROCK_EVENT_STREAM: StreamFraming = {
  contentType: EVENT_STREAM_CONTENT_TYPE,
  decode: decodeEventStream,
};
