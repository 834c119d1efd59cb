import {
  AllowedFailsPolicySchema,
  BEDROCK_ONLY_PARAMS,
  GeneralSettingsSchema,
  RetryPolicySchema,
  LiteLLMParamsSchema,
  LiteLLMSettingsSchema,
  MOCK_ONLY_PARAMS,
  MODEL_INFO_KEYS,
  ModelEntrySchema,
  RouterSettingsSchema,
  TopLevelSchema,
  aliasTargetObjectSchema,
  isAdaptiveRouterEntry,
  isRecord,
} from './litellm-schema.js';
import { formatPath } from './path.js';
import { parseModelTarget } from './provider.js';

/**
 * Every key present in the file that Switchyard does not act on, as field
 * paths (`litellm_settings.cache`, `model_list[3].model_info.access_groups`,
 * `router_settings.fallbacks`). It runs on the raw document, so a refused
 * file reports them too. It does not descend into a key it does not know,
 * nor into free maps (`extra_headers`), nor into adaptive router entries.
 */
export function findUnsupportedKeys(doc: Record<string, unknown>): string[] {
  const found: string[] = [];
  const extra = (value: unknown, known: readonly string[] | object, path: PropertyKey[]): void => {
    if (!isRecord(value)) return;
    const has = Array.isArray(known) ? (key: string) => known.includes(key) : (key: string) => Object.hasOwn(known, key);
    for (const key of Object.keys(value)) if (!has(key)) found.push(formatPath([...path, key]));
  };

  extra(doc, TopLevelSchema.shape, []);
  const list = doc['model_list'];
  if (Array.isArray(list)) {
    list.forEach((entry: unknown, i) => {
      if (!isRecord(entry) || isAdaptiveRouterEntry(entry)) return;
      const at = ['model_list', i];
      extra(entry, ModelEntrySchema.shape, at);
      const params = entry['litellm_params'];
      extra(params, LiteLLMParamsSchema.shape, [...at, 'litellm_params']);
      extra(entry['model_info'], MODEL_INFO_KEYS, [...at, 'model_info']);
      if (isRecord(params) && typeof params['model'] === 'string') {
        const target = parseModelTarget(params['model']);
        const provider = target.kind === 'ok' ? target.provider : null;
        const onlyFor = [...(provider === 'mock' ? [] : MOCK_ONLY_PARAMS), ...(provider === 'bedrock' ? [] : BEDROCK_ONLY_PARAMS)];
        for (const key of onlyFor) {
          if (params[key] !== undefined && params[key] !== null) found.push(formatPath([...at, 'litellm_params', key]));
        }
      }
    });
  }

  const router = doc['router_settings'];
  extra(router, RouterSettingsSchema.shape, ['router_settings']);
  if (isRecord(router) && isRecord(router['model_group_alias'])) {
    for (const [alias, target] of Object.entries(router['model_group_alias'])) {
      extra(target, aliasTargetObjectSchema.shape, ['router_settings', 'model_group_alias', alias]);
    }
  }
  if (isRecord(router)) {
    extra(router['retry_policy'], RetryPolicySchema.shape, ['router_settings', 'retry_policy']);
    extra(router['allowed_fails_policy'], AllowedFailsPolicySchema.shape, ['router_settings', 'allowed_fails_policy']);
  }
  extra(doc['general_settings'], GeneralSettingsSchema.shape, ['general_settings']);
  extra(doc['litellm_settings'], LiteLLMSettingsSchema.shape, ['litellm_settings']);
  return found;
}
