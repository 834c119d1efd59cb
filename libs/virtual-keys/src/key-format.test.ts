import { describe, expect, it } from 'vitest';
import { customKeyProblem, hashKey, keyHashOf, keyNameOf, newVirtualKey } from './key-format.js';
import { durationMs } from './duration.js';
import { requestTagsOf } from './request-tags.js';
import { callerOf } from './caller.js';

describe('virtual keys: key format, durations and tags', () => {
  it('virtual keys: a new key is sk- and 43 url-safe characters, different every time', () => {
    const keys = new Set(Array.from({ length: 50 }, () => newVirtualKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
  });

  it('virtual keys: a key is named by its sha256 hex; a hash passed for a key is taken as the hash', () => {
    const key = 'sk-abc12345';
    expect(hashKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(keyHashOf(key)).toBe(hashKey(key));
    expect(keyHashOf(hashKey(key))).toBe(hashKey(key));
    expect(keyNameOf('sk-abcdefghwxyz')).toBe('sk-...wxyz');
  });

  it('virtual keys: a custom key must start with sk- and be printable, without spaces', () => {
    expect(customKeyProblem('sk-my-custom-key-1')).toBeNull();
    expect(customKeyProblem('my-key-12345')).toContain("must start with 'sk-'");
    expect(customKeyProblem('sk-short')).not.toBeNull();
    expect(customKeyProblem('sk-has a space in it')).not.toBeNull();
  });

  it('virtual keys: LiteLLM durations in ms; anything else is none', () => {
    expect(durationMs('30s')).toBe(30_000);
    expect(durationMs('2m')).toBe(120_000);
    expect(durationMs('1h')).toBe(3_600_000);
    expect(durationMs('1d')).toBe(86_400_000);
    expect(durationMs('1w')).toBe(7 * 86_400_000);
    expect(durationMs('1mo')).toBe(30 * 86_400_000);
    for (const text of ['0s', '10', '1y', '-1d', '1.5h', '']) expect(durationMs(text)).toBeNull();
  });

  it('virtual keys: tags keep a bounded user and metadata, leaving out what is too large', () => {
    expect(requestTagsOf({ user: 'alice', metadata: { run: 7 } })).toEqual({ endUser: 'alice', metadata: '{"run":7}' });
    expect(requestTagsOf({ user: 'x'.repeat(257), metadata: { blob: 'y'.repeat(5000) } })).toEqual({ endUser: null, metadata: null });
    expect(requestTagsOf({ user: 42, metadata: ['a'] })).toEqual({ endUser: null, metadata: null });
  });

  it('virtual keys: a caller carries the key and team scopes that have limits or budgets', () => {
    const base = { keyName: 'sk-...abcd', userId: 'u1', models: [], maxBudget: null, budgetDurationMs: null, budgetAnchorMs: 1000, expiresAt: null, blocked: false, metadata: {}, version: 1 };
    const keyHash = 'a'.repeat(64);
    const key = { ...base, keyHash, keyAlias: 'ci', teamId: 't1', rpm: 5, tpm: null, maxParallel: null, maxBudget: 2, budgetDurationMs: 86_400_000 };
    const team = { teamId: 't1', teamAlias: 'Team One', models: [], rpm: null, tpm: 1000, maxParallel: 2, maxBudget: null, budgetDurationMs: null, budgetAnchorMs: 500, blocked: false, metadata: {}, version: 1 };
    expect(callerOf(key, team)).toEqual({
      keyHash,
      keyAlias: 'ci',
      teamId: 't1',
      teamAlias: 'Team One',
      userId: 'u1',
      limits: [
        { scope: `key:${keyHash}`, rpm: 5, tpm: null, maxParallel: null },
        { scope: 'team:t1', rpm: null, tpm: 1000, maxParallel: 2 },
      ],
      budgets: [{ scope: `key:${keyHash}`, maxBudget: 2, durationMs: 86_400_000, periodAnchorMs: 1000 }],
    });
  });
});
