import type { Deployment } from '@switchyard/config';

/*
 * Provider bytes are not trusted to keep the gateway's secrets: a provider
 * or a proxy may echo the key, an `extra_headers` credential or a Basic
 * header in an error body, an SSE error event or a response header. Every
 * path from a provider to a client, a log or a trace goes through a
 * scrubber built from the deployment's `secrets()` (every form of every
 * secret, computed at config load).
 *
 * Cost: a frame or body is searched once per form (`includes` /
 * `Buffer.indexOf`, both native), and rewritten only on a hit. A deployment
 * with one key has about 15 forms; see the report of issue 12 for the
 * measured cost per SSE frame.
 */

export const REDACTED = '[redacted]';

export class SecretScrubber {
  readonly #forms: readonly string[];
  readonly #bytes: readonly Buffer[];

  /** `forms` longest first, so that a form containing another is replaced whole. */
  constructor(forms: readonly string[]) {
    this.#forms = forms;
    this.#bytes = forms.map((form) => Buffer.from(form, 'utf8'));
  }

  get empty(): boolean {
    return this.#forms.length === 0;
  }

  /** `text` with every secret form replaced by `[redacted]`; the same string when none is there. */
  text(text: string): string {
    let out = text;
    for (const form of this.#forms) if (out.includes(form)) out = out.replaceAll(form, REDACTED);
    return out;
  }

  /** True when some form of a secret is in `bytes`: the search runs on the bytes, with no decoding. */
  foundIn(bytes: Uint8Array): boolean {
    const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return this.#bytes.some((form) => buffer.includes(form));
  }

  /** `bytes` (UTF-8 text) scrubbed; the same buffer when no secret is in it, the common case. */
  bytes(bytes: Buffer): Buffer {
    if (!this.foundIn(bytes)) return bytes;
    return Buffer.from(this.text(bytes.toString('utf8')), 'utf8');
  }

  /** Header values scrubbed (names are the provider's own and hold no secret). */
  headers(headers: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) out[name] = this.text(value);
    return out;
  }
}

const NO_SECRETS = new SecretScrubber([]);
const byDeployment = new WeakMap<Deployment, SecretScrubber>();

/** The scrubber of a deployment, built once per loaded deployment. */
export function scrubberFor(deployment: Deployment): SecretScrubber {
  let scrubber = byDeployment.get(deployment);
  if (scrubber === undefined) {
    const forms = deployment.secrets();
    scrubber = forms.length === 0 ? NO_SECRETS : new SecretScrubber(forms);
    byDeployment.set(deployment, scrubber);
  }
  return scrubber;
}
