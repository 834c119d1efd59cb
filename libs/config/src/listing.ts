import { catalogueModelsOf } from './catalogue.js';
import type { Deployment, GatewayConfig } from './model.js';
import { resolveModel } from './resolve.js';

/**
 * The model names `/v1/models` lists, as LiteLLM lists them: every group, alias
 * and adaptive router, in config order, and for a wildcard route the catalogue's
 * models it serves (`openai/*` -> `openai/gpt-4o`, ...), never the pattern
 * itself. A group whose deployments are all `model_info.hidden`, and a hidden
 * alias, still resolve but are not listed. Every listed name resolves.
 */
export function listedModels(config: GatewayConfig): string[] {
  const names = new Set<string>();
  for (const [name, deployments] of config.groups) if (!allHidden(deployments)) names.add(name);
  const hidden = new Set(config.router.hiddenAliases);
  for (const alias of config.aliases.keys()) if (!hidden.has(alias)) names.add(alias);
  for (const router of config.routers) names.add(router.name);
  for (const [pattern, deployments] of config.wildcards) {
    if (allHidden(deployments)) continue;
    for (const name of wildcardNames(pattern, deployments)) {
      if (!names.has(name) && resolveModel(config, name)?.group === pattern) names.add(name);
    }
  }
  return [...names];
}

function allHidden(deployments: readonly Deployment[]): boolean {
  return deployments.length > 0 && deployments.every((deployment) => deployment.modelInfo.hidden === true);
}

/**
 * Names a one-star route would serve, from the catalogue models of its
 * provider: the text that makes the route's model equal a catalogue id.
 * Routes with several stars are not enumerated (LiteLLM does not either).
 */
function wildcardNames(pattern: string, deployments: readonly Deployment[]): string[] {
  if (pattern.split('*').length !== 2) return [];
  const out: string[] = [];
  for (const deployment of deployments) {
    const template = deployment.wildcard?.modelTemplate ?? '';
    const slash = template.indexOf('/');
    // The model part after `provider/`, as the catalogue names it: `*`, `gpt-*`.
    const modelPart = slash !== -1 && !template.slice(0, slash).includes('*') ? template.slice(slash + 1) : template;
    const [before, after, ...more] = modelPart.split('*');
    if (before === undefined || after === undefined || more.length > 0) continue;
    for (const id of catalogueModelsOf(deployment.provider)) {
      if (id.length >= before.length + after.length && id.startsWith(before) && id.endsWith(after)) {
        out.push(pattern.replace('*', id.slice(before.length, id.length - after.length)));
      }
    }
  }
  return out;
}
