import type { Deployment, GatewayConfig } from './model.js';

/**
 * The deployments a client's `model` names: a group, or an alias of one.
 * Null for anything else (an adaptive router is resolved by the router).
 */
export function resolveModel(config: GatewayConfig, name: string): { group: string; deployments: Deployment[] } | null {
  const group = config.groups.has(name) ? name : config.aliases.get(name);
  if (group === undefined) return null;
  const deployments = config.groups.get(group);
  return deployments === undefined ? null : { group, deployments };
}
