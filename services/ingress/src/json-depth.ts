const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * True when the JSON text nests arrays/objects deeper than `maxDepth`.
 *
 * One linear pass over the bytes, before JSON.parse: a body nested 10,000
 * deep parses fine in V8 but overflows the stack of recursive code further
 * on (zod, JSON.stringify, provider transforms), so it is refused here as a
 * 400 rather than failing as a 500 after routing. Brackets inside strings do
 * not count. Working on UTF-8 bytes is safe: every byte of a multi-byte
 * character is >= 0x80, so none can be mistaken for a bracket or a quote.
 * Malformed JSON is left for JSON.parse to report.
 */
export function exceedsJsonDepth(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === QUOTE) {
      // Strings are most of a prompt's bytes: jump to their end with the native indexOf.
      i = stringEnd(bytes, i + 1);
      if (i < 0) return false;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Index of the quote that closes the string starting at `from`, or -1 if it never closes. */
function stringEnd(bytes: Uint8Array, from: number): number {
  for (let at = bytes.indexOf(QUOTE, from); at >= 0; at = bytes.indexOf(QUOTE, at + 1)) {
    // A quote is escaped by an odd run of backslashes before it.
    let backslashes = 0;
    while (bytes[at - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return -1;
}
