import { listedModels, type GatewayConfig } from '@switchyard/config';
import type { ModelListEntry } from '@switchyard/contracts';

/**
 * `/v1/models`: what LiteLLM lists: every group, visible alias and adaptive
 * router, plus the catalogue models a wildcard route serves (never the
 * pattern itself), in config order; `model_info.hidden` entries are served but not listed.
 */
export function listModels(config: GatewayConfig, created: number): ModelListEntry[] {
  return listedModels(config).map((id) => modelEntry(id, created));
}

export function modelEntry(id: string, created: number): ModelListEntry {
  return { id, object: 'model', created, owned_by: 'switchyard' };
}
