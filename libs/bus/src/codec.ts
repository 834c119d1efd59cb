import { headers as natsHeaders, type Msg, type MsgHdrs } from 'nats';
import {
  BusHeaders,
  CallEnvelope,
  ReplyEnd,
  ReplyError,
  ReplyHead,
  ReplyPart,
  LenientReservation,
  type Reservation,
} from '@switchyard/contracts';
import type { z } from 'zod';
import { extractContext, injectContext, type Context } from '@switchyard/telemetry';

const ReplyMeta = {
  full: ReplyHead.extend({ end: ReplyEnd }),
  head: ReplyHead,
  chunk: null,
  end: ReplyEnd,
  error: ReplyError,
} as const;

export type ReplyMessage =
  | { part: 'full'; meta: z.infer<typeof ReplyMeta.full>; data: Uint8Array }
  | { part: 'head'; meta: ReplyHead; data: Uint8Array }
  | { part: 'chunk'; meta: null; data: Uint8Array }
  | { part: 'end'; meta: ReplyEnd; data: Uint8Array }
  | { part: 'error'; meta: ReplyError; data: Uint8Array };

export function envelopeHeaders(envelope: CallEnvelope, replyTo?: string, trace?: Context): MsgHdrs {
  const h = natsHeaders();
  h.set(BusHeaders.envelope, JSON.stringify(envelope));
  if (replyTo) h.set(BusHeaders.replyTo, replyTo);
  if (trace) injectContext(trace, (name, value) => h.set(name, value));
  return h;
}

/** Headers that carry only the W3C trace context (events). */
export function traceHeaders(trace: Context): MsgHdrs {
  const h = natsHeaders();
  injectContext(trace, (name, value) => h.set(name, value));
  return h;
}

/** The trace context a message carries (the active context when it carries none). */
export function traceContextOf(msg: { headers?: MsgHdrs | undefined }): Context {
  return extractContext((name) => msg.headers?.get(name) || undefined);
}

/** Parses the envelope of a decision or call message; throws a ZodError on a malformed one. */
export function readEnvelope(msg: Msg): CallEnvelope {
  const raw = msg.headers?.get(BusHeaders.envelope);
  if (!raw) throw new Error('message has no envelope header');
  return CallEnvelope.parse(JSON.parse(raw));
}

/** What can still be read from a routed message whose envelope is unreadable: enough to release its reservation. */
export interface SalvagedEnvelope {
  requestId: string | null;
  deploymentId: string | null;
  attempt: number;
  reservation: Reservation | null;
}

/** Reads the fields of an unreadable envelope one by one; anything that does not parse is null. */
export function salvageEnvelope(msg: Msg): SalvagedEnvelope {
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(msg.headers?.get(BusHeaders.envelope) ?? '');
    if (parsed && typeof parsed === 'object') raw = parsed as Record<string, unknown>;
  } catch {
    // Nothing to salvage.
  }
  const reservation = LenientReservation.safeParse(raw.reservation);
  return {
    requestId: typeof raw.requestId === 'string' ? raw.requestId : null,
    deploymentId: typeof raw.deploymentId === 'string' ? raw.deploymentId : null,
    attempt: typeof raw.attempt === 'number' && Number.isSafeInteger(raw.attempt) && raw.attempt >= 1 ? raw.attempt : 1,
    reservation: reservation.success ? { ...reservation.data, tokens: 0 } : null,
  };
}

export function replyHeaders(part: ReplyPart, meta?: unknown): MsgHdrs {
  const h = natsHeaders();
  h.set(BusHeaders.part, part);
  if (meta !== undefined) h.set(BusHeaders.meta, JSON.stringify(meta));
  return h;
}

/** Parses a message received on a reply inbox with the schema of its part. */
export function readReply(msg: Msg): ReplyMessage {
  const part = ReplyPart.parse(msg.headers?.get(BusHeaders.part));
  if (part === 'chunk') return { part, meta: null, data: msg.data };
  const raw = msg.headers?.get(BusHeaders.meta);
  if (!raw) throw new Error(`reply part ${part} has no metadata`);
  const meta: unknown = JSON.parse(raw);
  switch (part) {
    case 'full':
      return { part, meta: ReplyMeta.full.parse(meta), data: msg.data };
    case 'head':
      return { part, meta: ReplyMeta.head.parse(meta), data: msg.data };
    case 'end':
      return { part, meta: ReplyMeta.end.parse(meta), data: msg.data };
    case 'error':
      return { part, meta: ReplyMeta.error.parse(meta), data: msg.data };
  }
}

/** A bus payload as JSON, or null when it is not JSON (the caller's schema then rejects it). */
export function decodeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
}

/** The NATS server's "no responders" status: nobody subscribes to the subject a request went to. */
export function isNoResponders(msg: Msg): boolean {
  return msg.headers?.code === 503 && msg.data.length === 0;
}
