import type { NatsConnection } from 'nats';
import { busState, decodeJson, isNoResponders, ResponseOwners, traceHeaders } from '@switchyard/bus';
import { Errors, GatewayError, StoredResponseReply, type BusNames, type StoredResponseCall, type StoredResponseOwner } from '@switchyard/contracts';
import type { Context } from '@switchyard/telemetry';

/** Beyond the deployment's own timeout, which the upstream-caller enforces. */
const CALLER_GRACE_MS = 5_000;

/**
 * Responses stored at their deployments, as the ingress reaches them: who
 * owns an id (the KV bucket every replica reads) and one GET or DELETE
 * through the upstream-callers (the only code that calls providers).
 */
export interface StoredResponses {
  /** The owner of a response id; null for one the gateway never recorded. Throws 503 when the bus cannot say. */
  owner(responseId: string): Promise<StoredResponseOwner | null>;
  forget(responseId: string): Promise<void>;
  call(call: StoredResponseCall, trace: Context): Promise<StoredResponseReply>;
}

function busDown(): never {
  throw Errors.unavailable('The gateway cannot reach its message bus (NATS) to find this response; nothing was sent to a provider.', 'bus_unavailable');
}

export function createStoredResponses(nc: NatsConnection, names: BusNames): StoredResponses {
  const owners = new ResponseOwners(nc, names.responsesBucket);
  return {
    async owner(responseId) {
      if (!busState(nc).connected) busDown();
      try {
        return await owners.lookup(responseId);
      } catch {
        return busDown();
      }
    },
    async forget(responseId) {
      await owners.forget(responseId).catch(() => undefined);
    },
    async call(call, trace) {
      if (!busState(nc).connected) busDown();
      let data: Uint8Array;
      try {
        const msg = await nc.request(names.subjects.storedResponse, JSON.stringify(call), { timeout: call.timeoutMs + CALLER_GRACE_MS, headers: traceHeaders(trace) });
        if (isNoResponders(msg)) throw Errors.unavailable('No upstream-caller is running, so the request was not sent to any provider.', 'no_upstream_caller');
        data = msg.data;
      } catch (error) {
        if (error instanceof GatewayError) throw error;
        const code = (error as { code?: unknown }).code;
        if (code === '503') throw Errors.unavailable('No upstream-caller is running, so the request was not sent to any provider.', 'no_upstream_caller');
        throw Errors.timeout('No answer from the gateway\'s upstream-caller for this stored response; it was not retried.');
      }
      const parsed = StoredResponseReply.safeParse(decodeJson(data));
      if (!parsed.success) throw Errors.upstreamFailed('The gateway received a malformed reply from its upstream-caller.', 'bad_bus_reply');
      return parsed.data;
    },
  };
}
