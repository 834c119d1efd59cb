import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secret } from '@switchyard/config';
import { Errors } from '@switchyard/contracts';

/**
 * Checks `Authorization: Bearer <key>`, else `x-api-key: <key>` (how
 * Anthropic's SDKs and Claude Code send a key), against the master key. Both
 * sides are hashed first so the comparison takes the same time whatever the
 * length or content of what the client sent.
 */
export function createAuthenticator(
  masterKey: Secret | null,
): (authorization: string | undefined, apiKey?: string | string[] | undefined) => string | null {
  if (!masterKey) return () => null;
  const expected = createHash('sha256').update(masterKey.reveal()).digest();
  return (authorization, apiKey) => {
    const presented = authorization ? bearerToken(authorization) : typeof apiKey === 'string' && apiKey !== '' ? apiKey.trim() : null;
    const digest = createHash('sha256').update(presented ?? '').digest();
    if (presented === null || !timingSafeEqual(digest, expected)) throw Errors.unauthorized();
    return callerIdOf(presented);
  };
}

function bearerToken(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1]! : null;
}

/** A stable, non-reversible caller id for logs, limits and sessions. */
export function callerIdOf(key: string): string {
  return `key_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}
