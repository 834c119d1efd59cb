import { isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import { parseHttpUrl } from '@switchyard/config';

/**
 * Any host an operator can reach, through undici. undici parses request URLs
 * with the WHATWG parser, which refuses hosts whose last label is numeric
 * (`qwen2.5`, `vllm-0.5`, `nomic-embed-v1.5`): DNS and /etc/hosts take them.
 * Such a URL is handed to undici with a placeholder host under `.invalid`
 * (which never resolves, so a mistake cannot reach anyone), and the Agent's
 * connector maps the placeholder back to the real host for the socket and TLS
 * name; the Host header carries the real host too.
 */

export interface HostOptions {
  /**
   * DNS lookup for provider sockets (net.connect's `lookup`); default the
   * system's. Tests inject one to reach a local server under a chosen name.
   */
  lookup?: LookupFunction;
}

const PLACEHOLDER_DOMAIN = 'switchyard-host.invalid';

export class HostMap {
  readonly #realByPlaceholder = new Map<string, string>();
  readonly #placeholderByReal = new Map<string, string>();

  /** The URL to give undici, and the Host header to send (null: the URL's own). */
  dispatchable(url: string): { url: string; host: string | null } {
    if (canParse(url)) return { url, host: null };
    const parts = parseHttpUrl(url);
    // Not a URL at all: undici reports it as it would have.
    if (parts === null) return { url, host: null };
    let placeholder = this.#placeholderByReal.get(parts.hostname);
    if (placeholder === undefined) {
      // Hosts come from the config file: a bounded set, so the map is too.
      placeholder = `h${this.#placeholderByReal.size + 1}.${PLACEHOLDER_DOMAIN}`;
      this.#placeholderByReal.set(parts.hostname, placeholder);
      this.#realByPlaceholder.set(placeholder, parts.hostname);
    }
    const port = parts.port === null ? '' : `:${parts.port}`;
    return { url: `${parts.protocol}//${placeholder}${port}${parts.rest}`, host: `${parts.host}${port}` };
  }

  realHost(hostname: string): string | null {
    return this.#realByPlaceholder.get(hostname) ?? null;
  }
}

/** undici's connector, with placeholders mapped back to the real host. */
export function hostAwareConnector(hosts: HostMap, options: HostOptions = {}): buildConnector.connector {
  const connect = buildConnector(options.lookup === undefined ? {} : { lookup: options.lookup });
  return (opts, callback) => {
    const real = hosts.realHost(opts.hostname);
    if (real === null) return connect(opts, callback);
    const tlsName = isIP(real) === 0 ? real : undefined;
    return connect(
      { ...opts, hostname: real, host: opts.port === '' ? real : `${real}:${opts.port}`, ...(tlsName === undefined ? {} : { servername: tlsName }) },
      callback,
    );
  };
}

function canParse(url: string): boolean {
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}
