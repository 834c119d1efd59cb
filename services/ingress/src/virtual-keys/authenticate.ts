import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secret } from '@switchyard/config';
import { Errors, GatewayError, MASTER_CALLER, type Caller, type KeyRecord, type TeamRecord } from '@switchyard/contracts';
import { callerOf } from '@switchyard/virtual-keys';
import { callerIdFromHash, callerIdOf } from '../auth.js';
import type { KeyRecords } from './key-records.js';

/** Who sent a request, as the Authorization (or x-api-key) header proves it. */
export interface Authenticated {
  /** `key_<16 hex>` of the presented key (master or virtual); null when auth is open. */
  callerId: string | null;
  caller: Caller;
  /** The master key (the proxy admin): the management API is its. */
  isMaster: boolean;
  key: KeyRecord | null;
  team: TeamRecord | null;
}

const OPEN: Authenticated = Object.freeze({ callerId: null, caller: MASTER_CALLER, isMaster: false, key: null, team: null });

/** LiteLLM's auth error shape: `{"error": {"message", "type", "param", "code": "401"}}`. */
function authError(message: string, type = 'auth_error'): GatewayError {
  return new GatewayError({ status: 401, type, code: '401', message, param: null });
}

/** Never-issued, deleted and hash-presented keys get one answer: nothing tells them apart. */
const INVALID_KEY =
  'Authentication Error, Invalid proxy server token passed. Unable to find token in cache or `LiteLLM_VerificationTokenTable`.';

export function presentedKey(authorization: string | undefined, apiKey: string | string[] | undefined): string | null {
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1]! : null;
  }
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey.trim() : null;
}

/**
 * Authenticates the master key or a virtual key. A virtual key is a hash
 * lookup in the records every replica holds; blocked, expired and team-blocked
 * keys are refused as LiteLLM refuses them (401). Without a master key the
 * gateway is open and virtual keys are not checked (LiteLLM needs one too).
 */
export function createCallerAuthenticator(
  masterKey: Secret | null,
  records: Pick<KeyRecords, 'loaded' | 'key' | 'team'> | null,
  now: () => number = Date.now,
): (authorization: string | undefined, apiKey?: string | string[] | undefined) => Authenticated {
  if (!masterKey) return () => OPEN;
  const expected = createHash('sha256').update(masterKey.reveal()).digest();
  // One sha256 per request: it is compared with the master key's, looked up among the records and gives the caller id.
  const master: Authenticated = Object.freeze({ callerId: callerIdOf(masterKey.reveal()), caller: MASTER_CALLER, isMaster: true, key: null, team: null });
  return (authorization, apiKey) => {
    const presented = presentedKey(authorization, apiKey);
    if (presented === null) throw Errors.unauthorized();
    const digest = createHash('sha256').update(presented).digest();
    if (timingSafeEqual(digest, expected)) return master;
    if (!records) throw Errors.unauthorized();
    if (!records.loaded) throw Errors.unavailable('This gateway replica has not loaded its virtual keys yet; send the request again.', 'keys_loading');
    const keyHash = digest.toString('hex');
    const key = records.key(keyHash);
    if (!key) throw Errors.unauthorized(INVALID_KEY);
    if (key.blocked) throw authError("Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.");
    const at = now();
    if (key.expiresAt !== null && key.expiresAt <= at) {
      throw authError(
        `Authentication Error - Expired Key. Key Expiry time ${new Date(key.expiresAt).toISOString()} and current time ${new Date(at).toISOString()}`,
        'expired_key',
      );
    }
    const team = key.teamId === null ? null : (records.team(key.teamId) ?? null);
    if (team?.blocked) throw authError(`Authentication Error, Team=${team.teamId} is blocked. Update via \`/team/unblock\` if you're an admin.`);
    return { callerId: callerIdFromHash(keyHash), caller: callerOf(key, team), isMaster: false, key, team };
  };
}

