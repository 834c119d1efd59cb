import { createHash } from 'node:crypto';

/** A stable, non-reversible caller id for logs, limits and sessions. */
export function callerIdOf(key: string): string {
  return `key_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}
