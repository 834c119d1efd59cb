import type { LiteLLMGeneralSettings, LiteLLMModuleSettings, LiteLLMRouterSettings } from './litellm-schema.js';
import {
  DEFAULT_ALLOWED_FAILS,
  DEFAULT_COOLDOWN_TIME_MS,
  DEFAULT_MAX_FALLBACKS,
  ERROR_KINDS,
  type ErrorKind,
  type ReliabilitySettings,
} from './model.js';
import type { Problems } from './path.js';
import { listNames } from './settings.js';

type FallbackList = Array<Record<string, string[]>> | null | undefined;

/**
 * Retries, fallbacks and cooldowns with LiteLLM's names and defaults:
 * router_settings wins over litellm_settings (LiteLLM's Router reads
 * `litellm.<key>` when its own argument is unset). Every group a fallback
 * list names must exist (a group or an alias): a fallback to nothing would
 * only show at the worst moment, during an outage.
 */
export function buildReliability(
  router: LiteLLMRouterSettings,
  litellm: LiteLLMModuleSettings,
  general: LiteLLMGeneralSettings,
  known: ReadonlySet<string>,
  problems: Problems,
): ReliabilitySettings {
  const fallbackMap = (field: 'fallbacks' | 'context_window_fallbacks' | 'content_policy_fallbacks'): Record<string, string[]> => {
    const fromRouter = router[field] != null;
    const list: FallbackList = router[field] ?? litellm[field];
    const section = fromRouter ? 'router_settings' : 'litellm_settings';
    const out: Record<string, string[]> = {};
    (list ?? []).forEach((entry, i) => {
      for (const [group, targets] of Object.entries(entry)) {
        const at = [section, field, i, group];
        if (group !== '*' && !known.has(group)) problems.add(at, `model group "${group}" does not exist (groups: ${listNames([...known])})`);
        targets.forEach((target, j) => {
          if (!known.has(target)) problems.add([...at, j], `fallback group "${target}" does not exist (groups: ${listNames([...known])})`);
        });
        out[group] = [...(out[group] ?? []), ...targets.filter((target) => target !== group)];
      }
    });
    return out;
  };
  const defaults = router.default_fallbacks ?? litellm.default_fallbacks ?? [];
  defaults.forEach((target, i) => {
    if (!known.has(target)) problems.add(['router_settings', 'default_fallbacks', i], `fallback group "${target}" does not exist`);
  });
  return {
    numRetries: router.num_retries ?? litellm.num_retries ?? 0,
    retryAfterMs: Math.round((router.retry_after ?? 0) * 1000),
    retryPolicy: perKind(router.retry_policy, 'Retries'),
    fallbacks: fallbackMap('fallbacks'),
    contextWindowFallbacks: fallbackMap('context_window_fallbacks'),
    contentPolicyFallbacks: fallbackMap('content_policy_fallbacks'),
    defaultFallbacks: [...defaults],
    maxFallbacks: router.max_fallbacks ?? DEFAULT_MAX_FALLBACKS,
    allowClientFallbacks: general.allow_client_side_fallbacks ?? false,
    allowedFails: router.allowed_fails ?? litellm.allowed_fails ?? DEFAULT_ALLOWED_FAILS,
    allowedFailsPolicy: perKind(router.allowed_fails_policy, 'AllowedFails'),
    cooldownTimeMs: Math.round((router.cooldown_time ?? litellm.cooldown_time ?? DEFAULT_COOLDOWN_TIME_MS / 1000) * 1000),
    disableCooldowns: router.disable_cooldowns ?? false,
  };
}

function perKind(raw: Record<string, number | null | undefined> | null | undefined, suffix: string): Partial<Record<ErrorKind, number>> {
  const out: Partial<Record<ErrorKind, number>> = {};
  if (!raw) return out;
  for (const kind of ERROR_KINDS) {
    const value = raw[`${kind}${suffix}`];
    if (value != null) out[kind] = value;
  }
  return out;
}
