import type { Msg, NatsConnection } from 'nats';
import { Errors, type CallEnvelope, type GatewayError, type ReplyEnd, type ReplyError, type ReplyHead } from '@switchyard/contracts';
import type { Logger } from '@switchyard/telemetry';
import { readEnvelope, replyHeaders, salvageEnvelope, type SalvagedEnvelope } from './codec.js';
import { maxPayloadOf } from './connection.js';

/** Room left in a message for headers and protocol framing. */
const HEADER_ROOM = 16 * 1024;

/**
 * Writes one request's reply to the ingress inbox. Messages from one
 * connection to one subscriber arrive in order, so head, chunks and end need
 * no sequence numbers.
 */
export class ReplyWriter {
  readonly #nc: NatsConnection;
  readonly #subject: string;
  readonly #maxChunk: number;

  constructor(nc: NatsConnection, subject: string) {
    this.#nc = nc;
    this.#subject = subject;
    this.#maxChunk = Math.max(1024, maxPayloadOf(nc) - HEADER_ROOM);
  }

  /** A whole response: one message when it fits, else head, chunks and end. */
  complete(head: ReplyHead, body: Uint8Array, end: ReplyEnd): void {
    if (body.length <= this.#maxChunk) {
      this.#nc.publish(this.#subject, body, { headers: replyHeaders('full', { ...head, end }) });
      return;
    }
    this.head(head);
    for (let offset = 0; offset < body.length; offset += this.#maxChunk) {
      this.chunk(body.subarray(offset, offset + this.#maxChunk));
    }
    this.end(end);
  }

  head(head: ReplyHead): void {
    this.#nc.publish(this.#subject, new Uint8Array(0), { headers: replyHeaders('head', head) });
  }

  chunk(data: Uint8Array): void {
    for (let offset = 0; offset < data.length; offset += this.#maxChunk) {
      this.#nc.publish(this.#subject, data.subarray(offset, offset + this.#maxChunk), { headers: replyHeaders('chunk') });
    }
  }

  end(end: ReplyEnd): void {
    this.#nc.publish(this.#subject, new Uint8Array(0), { headers: replyHeaders('end', end) });
  }

  error(error: ReplyError): void {
    this.#nc.publish(this.#subject, new Uint8Array(0), { headers: replyHeaders('error', error) });
  }

  /** An error the gateway itself raised (not a provider's), as a reply. */
  fail(
    error: GatewayError,
    context: {
      definite: boolean;
      deploymentId: string | null;
      attempt: number;
      providerCalled?: boolean;
      retryable?: boolean;
      headers?: Record<string, string>;
    },
  ): void {
    this.error({
      status: error.status,
      body: error.toBody(),
      definite: context.definite,
      providerCalled: context.providerCalled ?? false,
      retryable: context.retryable ?? false,
      deploymentId: context.deploymentId,
      attempt: context.attempt,
      retryAfterSeconds: error.retryAfterSeconds ?? null,
      headers: context.headers ?? {},
    });
  }
}

/**
 * Opens a routed message (decision or call): its reply inbox and its
 * envelope. A message this service cannot process is never just dropped: a
 * malformed envelope is answered with a definite 500 (so the ingress fails
 * the request at once instead of waiting out its timeout), and in every case
 * `unprocessable` gets what could be salvaged, so that a reservation the
 * message carries is released instead of holding a concurrency slot until
 * its lease expires.
 */
export function openRoutedMessage(
  nc: NatsConnection,
  msg: Msg,
  replyTo: string | undefined,
  logger: Logger,
  unprocessable?: (salvaged: SalvagedEnvelope) => void,
): { writer: ReplyWriter; envelope: CallEnvelope } | null {
  if (!replyTo) {
    logger.warn({ subject: msg.subject }, 'routed message without a reply inbox: nobody to answer');
    unprocessable?.(salvageEnvelope(msg));
    return null;
  }
  const writer = new ReplyWriter(nc, replyTo);
  try {
    return { writer, envelope: readEnvelope(msg) };
  } catch (error) {
    logger.error({ err: error, subject: msg.subject }, 'malformed routed message');
    const salvaged = salvageEnvelope(msg);
    writer.fail(Errors.internal('The gateway sent itself a malformed message.'), {
      definite: true,
      deploymentId: salvaged.deploymentId,
      attempt: salvaged.attempt,
    });
    unprocessable?.(salvaged);
    return null;
  }
}
