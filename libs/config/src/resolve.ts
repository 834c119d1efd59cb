import { catalogueLimits } from './catalogue.js';
import type { Deployment, GatewayConfig } from './model.js';
import { parseModelTarget } from './provider.js';

/**
 * The deployments a client's `model` names, as LiteLLM's router finds them: a
 * group, an alias of one, else the most specific wildcard route that matches
 * (its deployments with the matched text filled into their model). Null for
 * anything else (an adaptive router is resolved by the router).
 *
 * For a wildcard, `group` is the pattern (`openai/*`) and each deployment's
 * `providerModel` is the concrete model; its `id` is the route's, so limits
 * and counters are the route's, as in LiteLLM.
 */
export function resolveModel(config: GatewayConfig, name: string): { group: string; deployments: Deployment[] } | null {
  const group = config.groups.has(name) ? name : config.aliases.get(name);
  if (group !== undefined) {
    const deployments = config.groups.get(group);
    return deployments === undefined ? null : { group, deployments };
  }
  for (const [pattern, routes] of config.wildcards) {
    const captured = matchPattern(pattern, name);
    if (captured === null) continue;
    const deployments = routes.flatMap((route) => concrete(route, name, captured) ?? []);
    return deployments.length === 0 ? null : { group: pattern, deployments };
  }
  return null;
}

/**
 * The deployment an envelope names, with a wildcard route's model filled in
 * from the model the client asked for: what the upstream-caller calls.
 */
export function deploymentFor(config: GatewayConfig, deploymentId: string, requestedModel: string): Deployment | null {
  const deployment = config.deployments.find((candidate) => candidate.id === deploymentId) ?? null;
  if (deployment?.wildcard == null) return deployment;
  const resolved = resolveModel(config, requestedModel);
  return resolved?.deployments.find((candidate) => candidate.id === deploymentId) ?? null;
}

/** The texts each `*` of the pattern matched, or null when the name does not match. */
export function matchPattern(pattern: string, name: string): string[] | null {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('(.*)')}$`, 's');
  const match = regex.exec(name);
  return match === null ? null : match.slice(1);
}

/** LiteLLM tries the pattern with the most literal text first, then the one with fewer wildcards. */
export function patternOrder(a: string, b: string): number {
  const literal = (pattern: string): number => pattern.replaceAll('*', '').length;
  const stars = (pattern: string): number => pattern.split('*').length - 1;
  return literal(b) - literal(a) || stars(a) - stars(b);
}

function concrete(route: Deployment, name: string, captured: string[]): Deployment | null {
  if (route.wildcard === null) return null;
  const template = route.wildcard.modelTemplate;
  let n = 0;
  // Each `*` of the model takes the text of the pattern's `*` in the same place (the last one when it has fewer).
  const model = template.replace(/\*/g, () => captured[Math.min(n++, captured.length - 1)] ?? '');
  const target = parseModelTarget(model);
  // A bare `*` route re-reads the provider from the name; its key was resolved for the
  // route's provider, so a name of another vendor is not served with it.
  if (target.kind !== 'ok' || target.provider !== route.provider || target.providerModel === '') return null;
  const known = catalogueLimits(target.provider, target.providerModel);
  return {
    ...route,
    providerModel: target.providerModel,
    wildcard: { ...route.wildcard, matched: name },
    contextWindow: route.contextWindow ?? known.contextWindow,
    maxOutputTokens: route.maxOutputTokens ?? known.maxOutputTokens,
  };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
