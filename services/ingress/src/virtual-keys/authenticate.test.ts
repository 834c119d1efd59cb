import { describe, expect, it } from 'vitest';
import { Secret } from '@switchyard/config';
import { GatewayError, MASTER_CALLER, type KeyRecord, type TeamRecord } from '@switchyard/contracts';
import { hashKey } from '@switchyard/virtual-keys';
import { createCallerAuthenticator } from './authenticate.js';

const MASTER = 'sk-master-unit-1';
const KEY = 'sk-virtual-unit-key-1';
const NOW = Date.parse('2026-06-01T00:00:00Z');

function keyRecord(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    keyHash: hashKey(KEY),
    keyName: 'sk-...ey-1',
    keyAlias: 'unit',
    teamId: null,
    userId: null,
    models: [],
    rpm: 3,
    tpm: null,
    maxParallel: null,
    maxBudget: null,
    budgetDurationMs: null,
    budgetAnchorMs: 0,
    expiresAt: null,
    blocked: false,
    metadata: {},
    version: 1,
    ...overrides,
  };
}

function records(key: KeyRecord | null, team: TeamRecord | null = null, loaded = true) {
  return {
    loaded,
    key: (hash: string) => (key && hash === key.keyHash ? key : undefined),
    team: (id: string) => (team && id === team.teamId ? team : undefined),
  };
}

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const bearer = (key: string) => `Bearer ${key}`;

describe('ingress virtual keys: authentication', () => {
  it('ingress virtual keys: the master key is the admin; a virtual key carries its scopes', () => {
    const auth = createCallerAuthenticator(new Secret(MASTER, 'master_key'), records(keyRecord()), () => NOW);
    expect(auth(bearer(MASTER))).toMatchObject({ isMaster: true, caller: MASTER_CALLER, key: null });
    const virtual = auth(undefined, KEY);
    expect(virtual.isMaster).toBe(false);
    expect(virtual.caller.limits).toEqual([{ scope: `key:${hashKey(KEY)}`, rpm: 3, tpm: null, maxParallel: null }]);
    expect(virtual.callerId).toMatch(/^key_[0-9a-f]{16}$/);
  });

  it('ingress virtual keys: unknown keys, the hash of a key and a missing key are refused alike', () => {
    const auth = createCallerAuthenticator(new Secret(MASTER, 'master_key'), records(keyRecord()), () => NOW);
    for (const presented of ['sk-unknown-key', hashKey(KEY)]) expect(refusal(() => auth(bearer(presented))).status).toBe(401);
    expect(refusal(() => auth(undefined)).code).toBe('invalid_api_key');
  });

  it('ingress virtual keys: blocked, expired and team-blocked keys get LiteLLM 401s', () => {
    expect(refusal(() => createCallerAuthenticator(new Secret(MASTER, 'master_key'), records(keyRecord({ blocked: true })), () => NOW)(bearer(KEY))).toBody()).toEqual({
      error: { message: "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.", type: 'auth_error', param: null, code: '401' },
    });
    const expired = refusal(() => createCallerAuthenticator(new Secret(MASTER, 'master_key'), records(keyRecord({ expiresAt: NOW })), () => NOW)(bearer(KEY)));
    expect(expired.type).toBe('expired_key');
    expect(expired.message).toBe('Authentication Error - Expired Key. Key Expiry time 2026-06-01T00:00:00.000Z and current time 2026-06-01T00:00:00.000Z');
    const team: TeamRecord = { teamId: 't9', teamAlias: null, models: [], rpm: null, tpm: null, maxParallel: null, maxBudget: null, budgetDurationMs: null, budgetAnchorMs: 0, blocked: true, metadata: {}, version: 1 };
    expect(refusal(() => createCallerAuthenticator(new Secret(MASTER, 'master_key'), records(keyRecord({ teamId: 't9' }), team), () => NOW)(bearer(KEY))).message).toContain('Team=t9 is blocked');
  });

  it('ingress virtual keys: before the records are loaded a virtual key is a 503 the client may retry, never a 401', () => {
    const error = refusal(() => createCallerAuthenticator(new Secret(MASTER, 'master_key'), records(keyRecord(), null, false), () => NOW)(bearer(KEY)));
    expect(error.status).toBe(503);
  });

  it('ingress virtual keys: without a master key the gateway is open and no key is checked', () => {
    expect(createCallerAuthenticator(null, records(null))(bearer('anything'))).toMatchObject({ callerId: null, isMaster: false });
  });
});
