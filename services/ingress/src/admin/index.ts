import type { FastifyInstance } from 'fastify';
import type { FastifyRequest } from 'fastify';
import type { Secret } from '@switchyard/config';
import { keyHashOf } from '@switchyard/virtual-keys';
import type { KeysClient } from './keys-client.js';
import type { LedgerClient } from './ledger-client.js';
import { registerKeyRoutes } from './key-routes.js';
import { litellmError } from './litellm-error.js';
import { registerTeamRoutes } from './team-routes.js';

export { createKeysClient, type KeysClient } from './keys-client.js';

/** LiteLLM lets a virtual key read its own /key/info (without `key`, or naming itself). */
function asksForItsOwnInfo(request: FastifyRequest): boolean {
  const own = request.auth.key;
  if (!own || request.method !== 'GET' || request.routeOptions.url !== '/key/info') return false;
  const asked = (request.query as Record<string, unknown> | undefined)?.key;
  return asked === undefined || asked === '' || (typeof asked === 'string' && keyHashOf(asked) === own.keyHash);
}

/**
 * LiteLLM's management API (/key/*, /team/*), for the proxy admin only: the
 * master key; a virtual key may read its own /key/info. (LiteLLM's other
 * admins, keys of users with the proxy_admin role, are not implemented:
 * there are no users here.)
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  options: { client: KeysClient | null; masterKey: Secret | null; ledger?: LedgerClient | null },
): void {
  const { client, masterKey } = options;
  const ledger = options.ledger ?? null;
  void app.register(async (scope) => {
    scope.addHook('preHandler', async (request) => {
      if (masterKey === null) throw litellmError(401, 'Authentication Error, the management API needs general_settings.master_key: without it the proxy has no admin.');
      if (!request.auth.isMaster && !asksForItsOwnInfo(request)) {
        throw litellmError(401, `Authentication Error, only the proxy admin (the master key) can call ${request.routeOptions.url ?? request.url.split('?')[0]}.`);
      }
      if (client === null) throw litellmError(503, 'Virtual keys are not available on this gateway (no bus).', 'internal_server_error');
    });
    const keys = client ?? { call: () => Promise.reject(new Error('unreachable')) };
    // Spend in /key/info and /team/info is the ledger's, joined here (the keys service owns only the records).
    registerKeyRoutes(scope, keys, masterKey, ledger);
    registerTeamRoutes(scope, keys, ledger);
  });
}
