import { resolveModel, type GatewayConfig } from '@switchyard/config';
import { Errors } from '@switchyard/contracts';

/** More than LiteLLM's default max_fallbacks is never useful, and bounds what a client can ask for. */
const MAX_CLIENT_FALLBACKS = 5;

/**
 * A request body's own `fallbacks` (LiteLLM's client-side fallbacks): a
 * list of model names the gateway serves. Off unless the operator allows it
 * (`general_settings.allow_client_side_fallbacks`): a client must not
 * multiply provider calls on its own. Each name is checked now, so a typo
 * is a 400 before anything is called, not a surprise during an outage.
 */
export function readClientFallbacks(value: unknown, config: GatewayConfig): string[] | null {
  if (value === undefined || value === null) return null;
  if (!config.router.reliability.allowClientFallbacks) {
    throw Errors.invalidRequest(
      'Client-side fallbacks are disabled on this gateway; remove "fallbacks" from the request (the operator configures fallbacks).',
      'fallbacks',
      'client_fallbacks_disabled',
    );
  }
  if (!Array.isArray(value) || value.length > MAX_CLIENT_FALLBACKS || !value.every((name) => typeof name === 'string' && name.length > 0 && name.length <= 256)) {
    throw Errors.invalidRequest(`"fallbacks" must be a list of at most ${MAX_CLIENT_FALLBACKS} model names.`, 'fallbacks', 'invalid_value');
  }
  const groups: string[] = [];
  for (const name of value as string[]) {
    const resolved = resolveModel(config, name);
    if (!resolved) throw Errors.invalidRequest(`Fallback model "${name.slice(0, 64)}" is not served by this gateway.`, 'fallbacks', 'model_not_found');
    if (!groups.includes(resolved.group)) groups.push(resolved.group);
  }
  return groups;
}
