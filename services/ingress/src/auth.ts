import { createHash } from 'node:crypto';

/** A stable, non-reversible caller id for logs, limits and sessions. */
export function callerIdOf(key: string): string {
  return callerIdFromHash(createHash('sha256').update(key).digest('hex'));
}

/** The same id from the key's sha256 (hex), for a caller whose key was hashed already. */
export function callerIdFromHash(keyHash: string): string {
  return `key_${keyHash.slice(0, 16)}`;
}
