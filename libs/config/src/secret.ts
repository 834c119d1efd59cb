import { inspect } from 'node:util';

/**
 * A value that must never reach a log, a trace, an error body or the bus.
 * It prints as `[secret]` however it is serialised; `reveal()` is the one way
 * to read it, so every use of a secret is greppable.
 */
export class Secret {
  readonly #value: string;
  /** Where the value came from (`os.environ/NAME` or `inline`), safe to print. */
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return `[secret from ${this.source}]`;
  }
}

/*
 * The forms a secret can take in bytes a provider or a proxy sends back: the
 * raw value, its base64 and base64url encodings (at each of the three byte
 * alignments it can have inside a longer encoded blob, as in
 * `Basic base64(user:pass)`), its URL and JSON encodings, and the credential
 * of a `Bearer x` / `Basic x` header value. Collected once at config load;
 * the providers lib scrubs them from every provider byte that reaches a
 * client, a log or a trace.
 */

/** Shorter forms are not scrubbed: they would mangle ordinary text, and a secret that short protects nothing. */
export const MIN_SECRET_FORM_CHARS = 8;

const SCHEME = /^(bearer|basic|token|apikey)\s+(\S.*)$/i;
const CREDENTIAL_PARAM = /key|token|secret|sig|password|auth|code/i;

/** The base64 characters fully determined by `value`'s bytes whatever bytes surround it, for each alignment. */
function base64Cores(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const cores: string[] = [];
  for (const offset of [0, 1, 2]) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    // Characters that hold bits of the filler bytes before the value: none, 2 or 3.
    const skip = [0, 2, 3][offset]!;
    // The last group is incomplete unless the value ends on a 3-byte boundary: its final character mixes in what follows.
    const tail = padded.length % 3 === 0 ? 0 : 1;
    for (const alphabet of ['base64', 'base64url'] as const) {
      const encoded = padded.toString(alphabet).replace(/=+$/, '');
      const core = encoded.slice(skip, encoded.length - tail);
      cores.push(core);
      // A blob encoding exactly the value (offset 0) is also written whole, padding included.
      if (offset === 0) cores.push(padded.toString(alphabet));
    }
  }
  return cores;
}

function encodedForms(value: string): string[] {
  const url = encodeURIComponent(value);
  const json = JSON.stringify(value).slice(1, -1);
  return [value, url, url.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()), url.replaceAll('%20', '+'), json, ...base64Cores(value)];
}

/** Every form of the given secret values worth scrubbing, longest first, without duplicates. */
export function secretForms(values: ReadonlyArray<string | null | undefined>): string[] {
  const raw = new Set<string>();
  for (const value of values) {
    if (value == null || value === '') continue;
    raw.add(value);
    const scheme = SCHEME.exec(value.trim());
    if (scheme !== null) {
      const credential = scheme[2]!;
      raw.add(credential);
      if (scheme[1]!.toLowerCase() === 'basic') addBasicParts(Buffer.from(credential, 'base64').toString('utf8'), raw);
    }
  }
  const forms = new Set<string>();
  for (const value of raw) for (const form of encodedForms(value)) if (form.length >= MIN_SECRET_FORM_CHARS) forms.add(form);
  return [...forms].sort((a, b) => b.length - a.length);
}

/** `user:pass` -> the pair and the password alone. */
function addBasicParts(userPass: string, into: Set<string>): void {
  const colon = userPass.indexOf(':');
  if (colon < 0) return;
  into.add(userPass);
  into.add(userPass.slice(colon + 1));
}

/** Credentials carried in a URL: `user:password@` and query parameters named like keys or tokens. */
export function urlCredentials(url: string | null): string[] {
  if (url === null) return [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const found = new Set<string>();
  if (parsed.password !== '') {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    found.add(password);
    found.add(`${user}:${password}`);
    found.add(`${parsed.username}:${parsed.password}`);
  }
  for (const [name, value] of parsed.searchParams) if (CREDENTIAL_PARAM.test(name)) found.add(value);
  return [...found];
}

/** The `secrets()` of a deployment: its forms are computed now, and the closure keeps them out of any serialisation. */
export function secretList(values: ReadonlyArray<string | null | undefined>): () => readonly string[] {
  const forms = Object.freeze(secretForms(values));
  return () => forms;
}
