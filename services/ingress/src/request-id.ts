import { randomUUID } from 'node:crypto';

/** The shape of every id newRequestId makes: a client that names a request must name one of these. */
export const GATEWAY_REQUEST_ID = /^req_[0-9a-f]{32}$/;

/** Client-supplied ids are echoed only when they cannot inject anything into headers or logs. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The gateway's own id of a request: unguessable and unique, the only key for
 * what the request stores, routes or cancels (its body, its inbox, its cancel
 * broadcast, its events). A client's id is never one of those keys: two
 * clients may send the same one, by accident or to reach the other's data.
 */
export function newRequestId(): string {
  // Keep in step with GATEWAY_REQUEST_ID.
  return `req_${randomUUID().replaceAll('-', '')}`;
}

/** The client's own `x-request-id` when it is safe to echo and log, else null: a label, never a key. */
export function clientRequestIdFrom(header: string | string[] | undefined): string | null {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : null;
}

/**
 * Response headers naming the request: `x-request-id` is what SDKs report
 * (the OpenAI SDK's `_request_id`), so it is the id the client knows (its own
 * when it sent one, else the server's); `x-switchyard-request-id` always
 * carries the server id. The audit line has both.
 */
export function requestIdHeaders(ids: { id: string; clientRequestId: string | null }): Record<string, string> {
  return { 'x-request-id': ids.clientRequestId ?? ids.id, 'x-switchyard-request-id': ids.id };
}
