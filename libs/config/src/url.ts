/**
 * http(s) URLs with any host an operator can reach. The WHATWG parser (Node's
 * `URL`, and undici behind it) reads a host whose last label is numeric
 * (`qwen2.5`, `vllm-0.5`, `nomic-embed-v1.5`) as an IPv4 address and rejects
 * it; DNS and /etc/hosts take such names, and so does LiteLLM (httpx).
 */

export interface HttpUrlParts {
  protocol: 'http:' | 'https:';
  /** As written; IPv6 literals keep their brackets (`[::1]`). */
  host: string;
  /** The host without brackets, for a socket connect. */
  hostname: string;
  port: number | null;
  /** Path, query and fragment, as written (may be empty). */
  rest: string;
}

const URL_SHAPE = /^(https?):\/\/(?:[^@/?#]*@)?(\[[0-9A-Fa-f:.]+(?:%[\w.~-]+)?\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)(?::(\d{1,5}))?([/?#].*)?$/s;
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

export function parseHttpUrl(value: string): HttpUrlParts | null {
  const match = URL_SHAPE.exec(value.trim());
  if (match === null) return null;
  const [, scheme, host, portText, rest] = match as unknown as [string, string, string, string | undefined, string | undefined];
  const bracketed = host.startsWith('[');
  if (!bracketed && (host.length > 253 || !host.split('.').every((label) => LABEL.test(label)))) return null;
  if (bracketed && !isIpv6(host.slice(1, -1).replace(/%.*$/, ''))) return null;
  const port = portText === undefined ? null : Number(portText);
  if (port !== null && (port < 1 || port > 65535)) return null;
  return {
    protocol: scheme === 'https' ? 'https:' : 'http:',
    host,
    hostname: bracketed ? host.slice(1, -1) : host,
    port,
    rest: rest ?? '',
  };
}

function isIpv6(text: string): boolean {
  try {
    return new URL(`http://[${text}]/`).hostname !== '';
  } catch {
    return false;
  }
}
