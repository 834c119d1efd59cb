import { secretForms, type Deployment } from '@switchyard/config';

/*
 * Provider bytes are not trusted to keep the gateway's secrets: a provider
 * or a proxy may echo the key, an `extra_headers` credential or a Basic
 * header in an error body, an SSE error event or a response header. Every
 * path from a provider to a client, a log or a trace goes through a
 * scrubber built from the deployment's `secrets()` (every form of every
 * secret, computed at config load).
 *
 * Cost: one regular expression, the alternation of every form (longest
 * first, so the longest form wins at a position), tested once per frame or
 * body and replaced only on a hit. V8 compiles it once; on a 240-character
 * SSE frame it took about half the time of one `includes` per form
 * (2.2 us against 4.6 us with 26 forms, 0.9 us with one key's 6 forms).
 */

export const REDACTED = '[redacted]';

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class SecretScrubber {
  /** Null when there is nothing to scrub. */
  readonly #any: RegExp | null;
  readonly #all: RegExp | null;

  /** `forms` longest first, so that a form containing another is replaced whole. */
  constructor(forms: readonly string[]) {
    const source = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
    this.#any = forms.length === 0 ? null : new RegExp(source);
    this.#all = forms.length === 0 ? null : new RegExp(source, 'g');
  }

  get empty(): boolean {
    return this.#any === null;
  }

  /** True when some form of a secret is in `text`. */
  foundIn(text: string): boolean {
    return this.#any?.test(text) ?? false;
  }

  /** `text` with every secret form replaced by `[redacted]`; the same string when none is there. */
  text(text: string): string {
    if (this.#all === null || !this.foundIn(text)) return text;
    return text.replace(this.#all, REDACTED);
  }

  /** `bytes` (UTF-8 text) scrubbed; the same buffer when no secret is in it, the common case. */
  bytes(bytes: Buffer): Buffer {
    if (this.#any === null) return bytes;
    const text = bytes.toString('utf8');
    return this.foundIn(text) ? Buffer.from(this.text(text), 'utf8') : bytes;
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

/**
 * The scrubber of one call whose credentials were made for it (a request
 * signature, a fresh OAuth token): the deployment's forms and theirs. Built
 * per call, only for providers with an `authorize` hook.
 */
export function callScrubberFor(deployment: Deployment, callSecrets: readonly string[]): SecretScrubber {
  const extra = secretForms(callSecrets);
  if (extra.length === 0) return scrubberFor(deployment);
  return new SecretScrubber([...new Set([...deployment.secrets(), ...extra])]);
}

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
