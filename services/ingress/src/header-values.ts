/*
 * HTTP header values are Latin-1 on the wire, and node refuses anything
 * outside visible ASCII, tab and space: a deployment id or router model that
 * comes from a `model_name` such as "模型" or "gpt-4o-✓" would make fastify
 * answer a bare 500 after the provider was already called (and billed), and
 * would throw inside `writeHead` of a stream, leaving the client with zero
 * bytes. So every value the gateway writes goes through `headerSafe`:
 *
 *   - a value made only of visible ASCII, spaces and tabs is sent as is:
 *     every header an ASCII config produces today is unchanged, and URLs or
 *     values already percent-encoded are never encoded twice;
 *   - any other value is percent-encoded as UTF-8 (`encodeURIComponent`'s
 *     rules, `%` included), so `decodeURIComponent(header)` gives the name
 *     back, and CR/LF can never split a header.
 *
 * Clients that read `x-switchyard-deployment` or `x-switchyard-router-model`
 * decode them with `decodeURIComponent` (a no-op for plain ASCII names; an
 * ASCII name that itself contains `%xx` is the one ambiguous case, so `%` is
 * best kept out of model names).
 */

/** What node writes unchanged: tab, space and visible ASCII. */
const PLAIN = /^[\t\x20-\x7e]*$/;

export function headerSafe(value: string): string {
  return PLAIN.test(value) ? value : encodeURIComponent(value);
}

/** Header maps as node and fastify hold them. */
type HeaderMap = Record<string, string | number | string[] | undefined>;

function safeValue(value: HeaderMap[string]): HeaderMap[string] {
  if (typeof value === 'string') return headerSafe(value);
  if (Array.isArray(value)) return value.map(headerSafe);
  return value;
}

/** A copy of `headers` whose every value can be written by node. */
export function safeHeaders<T extends HeaderMap>(headers: T): T {
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) out[name] = safeValue(value);
  return out as T;
}

/** True when some value of `headers` would be refused by node as it is. */
export function needsEncoding(headers: HeaderMap): boolean {
  for (const value of Object.values(headers)) {
    if (typeof value === 'string' && !PLAIN.test(value)) return true;
    if (Array.isArray(value) && value.some((item) => !PLAIN.test(item))) return true;
  }
  return false;
}
