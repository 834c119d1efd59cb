/*
 * The declarative half of a request transform: each OpenAI parameter the
 * provider takes is renamed, defaulted, clamped or transformed by one rule;
 * a parameter without a rule is dropped (a provider that validates strictly
 * refuses fields it does not know, and LiteLLM drops them too).
 */

export interface ParamRule {
  /** The provider's name for it (default: the same name). */
  to?: string;
  /** Clamped into [min, max] when it is a number. */
  min?: number;
  max?: number;
  /**
   * Computes the value (or several fields) from the client's value; returns
   * the fields to set, `{}` to set none.
   */
  transform?: (value: unknown, body: Readonly<Record<string, unknown>>) => Record<string, unknown>;
}

export type ParamMap = Readonly<Record<string, ParamRule>>;

export interface ParamDefault {
  /** The field set when no rule produced it. */
  field: string;
  value: (body: Readonly<Record<string, unknown>>, out: Readonly<Record<string, unknown>>) => unknown;
}

function clamp(value: unknown, rule: ParamRule): unknown {
  if (typeof value !== 'number') return value;
  let out = value;
  if (rule.min !== undefined) out = Math.max(rule.min, out);
  if (rule.max !== undefined) out = Math.min(rule.max, out);
  return out;
}

/** Applies `map` to `body`; unset (undefined or null) parameters are skipped, as OpenAI reads null as "default". */
export function applyParamMap(body: Readonly<Record<string, unknown>>, map: ParamMap, defaults: readonly ParamDefault[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(map)) {
    const value = body[name];
    if (value === undefined || value === null) continue;
    if (rule.transform !== undefined) Object.assign(out, rule.transform(value, body));
    else out[rule.to ?? name] = clamp(value, rule);
  }
  for (const fallback of defaults) {
    if (out[fallback.field] === undefined) {
      const value = fallback.value(body, out);
      if (value !== undefined) out[fallback.field] = value;
    }
  }
  return out;
}
