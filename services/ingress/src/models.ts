import type { GatewayConfig } from '@switchyard/config';
import type { ModelListEntry } from '@switchyard/contracts';

/** `/v1/models`: every group, alias and adaptive router a client may name, in config order. */
export function listModels(config: GatewayConfig, created: number): ModelListEntry[] {
  const names = [...config.groups.keys(), ...config.aliases.keys(), ...config.routers.map((router) => router.name)];
  return names.map((id) => ({ id, object: 'model', created, owned_by: 'switchyard' }));
}
