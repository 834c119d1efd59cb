import type { NatsConnection } from 'nats';
import { decodeJson } from '@switchyard/bus';
import { KeysReply, type BusNames, type KeysCall } from '@switchyard/contracts';
import { litellmError } from './litellm-error.js';

/** How long a management call waits for the keys service (a Postgres write and a KV publish). */
const CALL_TIMEOUT_MS = 10_000;

export interface KeysClient {
  /** The keys service's answer body; its refusal as a LiteLLM-shaped error. */
  call(call: KeysCall): Promise<unknown>;
}

/** Management calls to the keys service over NATS request-reply. Only hashes travel: never a key. */
export function createKeysClient(nc: NatsConnection, names: BusNames): KeysClient {
  return {
    async call(call) {
      let data: Uint8Array;
      try {
        data = (await nc.request(names.subjects.keys, JSON.stringify(call), { timeout: CALL_TIMEOUT_MS })).data;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === '503') throw litellmError(503, 'No keys service is running: virtual keys and teams cannot be managed now.', 'internal_server_error');
        throw litellmError(504, 'The keys service did not answer in time; the change may or may not have been made. Check with /key/info or /team/info.', 'internal_server_error');
      }
      const reply = KeysReply.safeParse(decodeJson(data));
      if (!reply.success) throw litellmError(502, 'The keys service sent an unreadable answer.', 'internal_server_error');
      if (!reply.data.ok) throw litellmError(reply.data.status, reply.data.message, reply.data.type, reply.data.param);
      return reply.data.body;
    },
  };
}
