import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { InboxEvent, PendingReply } from '@switchyard/bus';
import { Errors, type OpenAIErrorBody, type Usage } from '@switchyard/contracts';
import type { AttemptResult } from './dispatch.js';
import { errorHeaders } from './errors.js';
import { safeHeaders } from './header-values.js';
import { CLIENT_CLOSED_STATUS, onAbort } from './hang-up.js';

type Response = Extract<AttemptResult, { kind: 'response' }>;

export interface Delivery {
  status: number;
  usage: Usage | null;
  /** The call's cost in USD as the upstream-caller priced it (null or absent when unknown): the audit line's `cost`. */
  cost?: number | null;
  /** How the response ended for the client. */
  outcome: 'ok' | 'upstream_error' | 'client_closed' | 'timeout';
}

/** What a request whose client left delivered: nothing, to nobody. */
export function clientClosedDelivery(status = CLIENT_CLOSED_STATUS): Delivery {
  return { status, usage: null, outcome: 'client_closed' };
}

/**
 * Sends a non-streamed response: one `full` message, or a body the caller had
 * to split into chunks because it was larger than a bus message. A client
 * that leaves meanwhile (`clientGone`) ends it at once.
 */
export async function deliverBuffered(
  reply: FastifyReply,
  response: Response,
  headers: Record<string, string>,
  waitMs: number,
  clientGone: AbortSignal,
): Promise<Delivery> {
  const { first, reply: pending } = response;
  const stopWatching = onAbort(clientGone, () => pending.push({ part: 'timeout' }));
  try {
    let body: Uint8Array;
    let usage: Usage | null = null;
    let cost: number | null = null;
    if (first.part === 'full') {
      body = first.data;
      usage = first.meta.end.usage;
      cost = first.meta.end.cost ?? null;
    } else {
      const parts: Uint8Array[] = [];
      for (;;) {
        const event = await pending.next(waitMs);
        if (clientGone.aborted) return clientClosedDelivery();
        if (event.part === 'chunk') parts.push(event.data);
        else if (event.part === 'end') {
          usage = event.meta.usage;
          cost = event.meta.cost ?? null;
          break;
        } else {
          const error =
            stalled(event)
              ? Errors.timeout('The response body stopped arriving from the upstream-caller.')
              : Errors.upstreamFailed('The response body broke off inside the gateway.', 'bad_bus_reply');
          void reply.code(error.status).headers(headers).headers(errorHeaders(error)).send(error.toBody());
          return { status: error.status, usage: null, outcome: stalled(event) ? 'timeout' : 'upstream_error' };
        }
      }
      body = Buffer.concat(parts);
    }
    if (clientGone.aborted) return clientClosedDelivery();
    void reply
      .code(response.head.status)
      .headers(headers)
      .header('content-type', response.head.contentType)
      .send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    return { status: response.head.status, usage, cost, outcome: 'ok' };
  } finally {
    stopWatching();
    pending.close();
  }
}

/**
 * Relays a stream as Server-Sent Events, writing each event as it arrives
 * (no buffering) and honouring the client's back-pressure. A failure after
 * the first byte can no longer change the status: it becomes an error event,
 * then the stream closes. A client that leaves (`clientGone`) ends it at
 * once, before the first byte as well as mid-stream.
 */
export async function deliverStream(
  reply: FastifyReply,
  response: Response,
  headers: Record<string, string>,
  waitMs: number,
  clientGone: AbortSignal,
  /**
   * The closing error event in the route's dialect (Anthropic's `event: error`
   * on /v1/messages); `lastChunk` is the last frames relayed, for a dialect
   * that numbers its events (the Responses API's sequence_number).
   */
  errorFrame: (status: number, body: OpenAIErrorBody, lastChunk: Uint8Array | null) => string = (_status, body) => `data: ${JSON.stringify(body)}\n\n`,
): Promise<Delivery> {
  const pending: PendingReply = response.reply;
  const res: ServerResponse = reply.raw;
  reply.hijack();
  if (clientGone.aborted) {
    pending.close();
    return clientClosedDelivery();
  }
  res.writeHead(response.head.status, safeHeaders({
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  }));
  res.flushHeaders();
  const stopWatching = onAbort(clientGone, () => pending.push({ part: 'timeout' }));
  let lastChunk: Uint8Array | null = null;
  try {
    for (;;) {
      const event = await pending.next(waitMs);
      if (clientGone.aborted) return clientClosedDelivery(response.head.status);
      if (event.part === 'chunk') {
        // Chunks are SSE frames already (the upstream-caller frames them): written as they come.
        lastChunk = event.data;
        if (!res.write(event.data)) await writable(res, clientGone);
        continue;
      }
      if (event.part === 'end') {
        res.end();
        return { status: response.head.status, usage: event.meta.usage, cost: event.meta.cost ?? null, outcome: 'ok' };
      }
      const body: OpenAIErrorBody =
        event.part === 'error'
          ? event.meta.body
          : stalled(event)
            ? Errors.timeout('The stream stopped arriving from the upstream-caller.').toBody()
            : Errors.upstreamFailed('The stream broke off inside the gateway.', 'bad_bus_reply').toBody();
      res.end(errorFrame(event.part === 'error' ? event.meta.status : 502, body, lastChunk));
      return { status: response.head.status, usage: null, outcome: stalled(event) ? 'timeout' : 'upstream_error' };
    }
  } finally {
    stopWatching();
    pending.close();
  }
}

/** Nothing more came: the caller went quiet, or the bus itself went away. */
function stalled(event: InboxEvent): boolean {
  return event.part === 'timeout' || event.part === 'bus_lost';
}

/** Resolves when the socket can take more, or the client is gone (its 'close' may have come already). */
function writable(res: ServerResponse, clientGone: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let stopWatching = (): void => undefined;
    const done = () => {
      res.off('drain', done);
      stopWatching();
      resolve();
    };
    res.once('drain', done);
    stopWatching = onAbort(clientGone, done);
  });
}
