import type { FastifyReply, FastifyRequest } from 'fastify';

/** A client that left: its work is cancelled, and the audit line says so. */
export interface HangUp {
  /** Aborts when the client closes its connection before its response is complete. */
  readonly signal: AbortSignal;
  dispose(): void;
}

/** The audit status of a request whose client left before any response started (nginx's convention). */
export const CLIENT_CLOSED_STATUS = 499;

/**
 * Watches the raw response for the client going away, whatever the phase:
 * while its body is stashed, while the decision waits for admission or for
 * the provider's first byte, while a stream or a large body is relayed.
 * `onHangUp` runs once, at once, so the provider call is aborted and its
 * limiter slot freed instead of running to the end for nobody.
 */
export function watchHangUp(request: FastifyRequest, reply: FastifyReply, onHangUp: () => void): HangUp {
  const controller = new AbortController();
  const res = reply.raw;
  const onClose = () => {
    // 'close' also follows a response that finished: only an unfinished one means the client left.
    if (res.writableFinished || controller.signal.aborted) return;
    controller.abort();
    onHangUp();
  };
  res.once('close', onClose);
  // A client may already be gone while its body was being read and parsed.
  if (request.raw.socket?.destroyed) onClose();
  return {
    signal: controller.signal,
    dispose: () => res.off('close', onClose),
  };
}

/** Runs `wake` when `signal` aborts (at once if it has); returns what stops watching. Wakes an await for a client that left. */
export function onAbort(signal: AbortSignal, wake: () => void): () => void {
  if (signal.aborted) {
    wake();
    return () => undefined;
  }
  signal.addEventListener('abort', wake, { once: true });
  return () => signal.removeEventListener('abort', wake);
}
