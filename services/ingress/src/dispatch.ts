import type { NatsConnection } from 'nats';
import { busState, envelopeHeaders, type BodyStore, type PendingReply, type ReplyInbox, type ReplyMessage } from '@switchyard/bus';
import { Errors, GatewayError, type BusNames, type CallEnvelope, type CancelRequest, type ReplyHead } from '@switchyard/contracts';
import type { Context } from '@switchyard/telemetry';
import { CLIENT_CLOSED_STATUS, onAbort } from './hang-up.js';

/**
 * Extra time the ingress waits beyond the deployment's own timeout: the
 * upstream-caller enforces that timeout and reports it, so the ingress's own
 * timer only fires when the caller itself is gone.
 */
const CALLER_GRACE_MS = 5_000;

export type AttemptResult =
  | { kind: 'response'; head: ReplyHead; first: Extract<ReplyMessage, { part: 'full' | 'head' }>; reply: PendingReply }
  | {
      kind: 'failure';
      error: GatewayError;
      definite: boolean;
      retryable: boolean;
      providerCalled: boolean;
      headers: Record<string, string>;
      /** The deployment that failed, when the limiter admitted one. */
      deploymentId?: string | null;
    };

export interface Dispatcher {
  /**
   * Publishes one attempt's routing decision and waits for the start of its
   * reply, or until `clientGone` aborts (a `client_closed` failure).
   */
  attempt(envelope: CallEnvelope, body: Uint8Array, trace: Context, clientGone: AbortSignal): Promise<AttemptResult>;
  /** Puts an oversized body in the object store under the server request id; returns its key. */
  stashBody(requestId: string, body: Uint8Array): Promise<string>;
  releaseBody(key: string): Promise<void>;
  /** Tells the upstream-callers the client of a request (by server id) went away: its call is aborted. */
  cancel(requestId: string): void;
  inlineLimit(): number;
  waitMs(envelope: CallEnvelope): number;
}

/** A failure the ingress itself observed: no provider call it knows of, nothing worth retrying. */
function ingressFailure(error: GatewayError, definite: boolean): AttemptResult {
  return { kind: 'failure', error, definite, retryable: false, providerCalled: false, headers: {} };
}

/** The client left before the reply started: nobody to answer, nothing worth retrying. */
function clientClosed(): GatewayError {
  return new GatewayError({
    status: CLIENT_CLOSED_STATUS,
    type: 'api_error',
    code: 'client_closed',
    message: 'The client closed its connection before the response was complete.',
  });
}

function busDown(): AttemptResult {
  return ingressFailure(
    Errors.unavailable('The gateway cannot reach its message bus (NATS); the request was not sent to any provider.', 'bus_unavailable'),
    true,
  );
}

export function createDispatcher(nc: NatsConnection, names: BusNames, inbox: ReplyInbox, bodies: BodyStore): Dispatcher {
  const waitMs = (envelope: CallEnvelope) => envelope.timeoutMs + CALLER_GRACE_MS;
  return {
    waitMs,
    inlineLimit: () => bodies.inlineLimit(),
    async stashBody(requestId, body) {
      await bodies.put(requestId, body);
      return requestId;
    },
    releaseBody: (key) => bodies.delete(key),
    cancel(requestId) {
      try {
        nc.publish(names.subjects.cancel, JSON.stringify({ requestId } satisfies CancelRequest));
      } catch {
        // The bus is gone: the upstream-caller's own timeout ends the call.
      }
    },
    async attempt(envelope, body, trace, clientGone) {
      if (clientGone.aborted) return ingressFailure(clientClosed(), true);
      // With the bus down nothing can be routed: say so now rather than queue the decision.
      if (!busState(nc).connected) return busDown();
      const reply = inbox.open();
      const payload = envelope.bodyRef ? new Uint8Array(0) : body;
      try {
        nc.publish(names.subjects.decision, payload, { reply: reply.subject, headers: envelopeHeaders(envelope, undefined, trace) });
      } catch {
        reply.close();
        return busDown();
      }
      const stopWatching = onAbort(clientGone, () => reply.push({ part: 'timeout' }));
      const event = await reply.next(waitMs(envelope)).finally(stopWatching);
      // The client left while its request waited for admission or for the provider's first byte.
      if (clientGone.aborted) {
        reply.close();
        return ingressFailure(clientClosed(), false);
      }
      if (event.part === 'full' || event.part === 'head') return { kind: 'response', head: event.meta, first: event, reply };
      reply.close();
      switch (event.part) {
        case 'error':
          return {
            kind: 'failure',
            error: GatewayError.fromBody(event.meta.status, event.meta.body, event.meta.retryAfterSeconds ?? undefined),
            definite: event.meta.definite,
            retryable: event.meta.definite && event.meta.retryable,
            providerCalled: event.meta.providerCalled,
            headers: event.meta.headers,
            deploymentId: event.meta.deploymentId,
          };
        case 'no_responders':
          return ingressFailure(Errors.unavailable('No limiter is running, so the request was not sent to any provider.', 'no_limiter'), true);
        case 'bus_lost':
          return ingressFailure(
            Errors.timeout(
              'The gateway lost its connection to NATS while waiting for the reply; the request may or may not have reached the provider and was not retried.',
              'bus_lost',
            ),
            false,
          );
        case 'timeout':
          return ingressFailure(
            Errors.timeout(`No reply from the gateway's upstream-caller within ${Math.round(waitMs(envelope) / 1000)} s; the request was not retried.`),
            false,
          );
        default:
          return ingressFailure(Errors.upstreamFailed('The gateway received a malformed reply from its upstream-caller.', 'bad_bus_reply'), false);
      }
    },
  };
}
