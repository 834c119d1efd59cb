import type { LiteLLMGeneralSettings, LiteLLMModuleSettings, LiteLLMRouterSettings } from './litellm-schema.js';
import {
  DEFAULT_ALLOWED_FAILS,
  DEFAULT_COOLDOWN_TIME_MS,
  DEFAULT_MAX_FALLBACKS,
  ERROR_KINDS,
  type ErrorKind,
  type ReliabilitySettings,
} from './model.js';
import { formatPath } from './path.js';

type FallbackList = Array<Record<string, string[]>> | null | undefined;

/**
 * Retries, fallbacks and cooldowns with LiteLLM's names and defaults:
 * router_settings wins over litellm_settings (LiteLLM's Router reads
 * `litellm.<key>` when its own argument is unset). A fallback list naming a
 * model this gateway does not serve is a warning naming the field, and that
 * entry is left out: LiteLLM loads such files (and fails the fallback at
 * the worst moment, during an outage), so a LiteLLM user's file must load
 * here too, but the operator hears of it at start.
 */
export function buildReliability(
  router: LiteLLMRouterSettings,
  litellm: LiteLLMModuleSettings,
  general: LiteLLMGeneralSettings,
  serves: (name: string) => boolean,
  warnings: string[],
): ReliabilitySettings {
  const warn = (path: PropertyKey[], message: string) => warnings.push(`${formatPath(path)}: ${message}`);
  const fallbackMap = (field: 'fallbacks' | 'context_window_fallbacks' | 'content_policy_fallbacks'): Record<string, string[]> => {
    const fromRouter = router[field] != null;
    const list: FallbackList = router[field] ?? litellm[field];
    const section = fromRouter ? 'router_settings' : 'litellm_settings';
    const out: Record<string, string[]> = {};
    (list ?? []).forEach((entry, i) => {
      for (const [group, targets] of Object.entries(entry)) {
        const at = [section, field, i, group];
        if (group !== '*' && !serves(group)) {
          warn(at, `model "${group}" is not served here: its fallbacks are ignored`);
          continue;
        }
        const served = targets.filter((target, j) => {
          if (!serves(target)) warn([...at, j], `fallback model "${target}" is not served here: left out`);
          return serves(target) && target !== group;
        });
        out[group] = [...(out[group] ?? []), ...served];
      }
    });
    return out;
  };
  const defaultsSection = router.default_fallbacks != null ? 'router_settings' : 'litellm_settings';
  const defaults = (router.default_fallbacks ?? litellm.default_fallbacks ?? []).filter((target, i) => {
    if (!serves(target)) warn([defaultsSection, 'default_fallbacks', i], `fallback model "${target}" is not served here: left out`);
    return serves(target);
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
