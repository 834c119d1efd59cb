import { createHash, randomBytes } from 'node:crypto';

/** LiteLLM's virtual keys start with `sk-`; a custom key must too. */
const KEY_PREFIX = 'sk-';
const CUSTOM_KEY = /^sk-[\x21-\x7e]{8,256}$/;
const HASH = /^[0-9a-f]{64}$/;

/** A new virtual key: `sk-` and 32 random bytes (base64url), shown once. */
export function newVirtualKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** sha256 hex: the only form of a key that is stored, published or logged. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What LiteLLM shows of a key after generation: `sk-...` and its last four characters. */
export function keyNameOf(key: string): string {
  return `sk-...${key.slice(-4)}`;
}

/** Why a custom `key` of /key/generate cannot be one, or null. */
export function customKeyProblem(key: string): string | null {
  if (!key.startsWith(KEY_PREFIX)) return "Invalid key format. LiteLLM Virtual Key must start with 'sk-'.";
  if (!CUSTOM_KEY.test(key)) return 'Invalid key format: a custom key is sk- and 8 to 256 printable characters, without spaces.';
  return null;
}

/**
 * The hash a management call names a key by: LiteLLM takes the key itself
 * (`sk-...`, hashed here) or its hash (what /key/list returns).
 */
export function keyHashOf(keyOrHash: string): string {
  return HASH.test(keyOrHash) ? keyOrHash : hashKey(keyOrHash);
}
