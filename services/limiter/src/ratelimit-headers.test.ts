import { describe, expect, it } from 'vitest';
import { formatDuration, rateLimitHeaders } from './ratelimit-headers.js';

describe('limiter: rate-limit headers', () => {
  it.each([
    [0, '0ms'],
    [250, '250ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [59_000, '59s'],
    [60_000, '1m0s'],
    [360_000, '6m0s'],
    [61_250, '1m1.25s'],
  ])('formats %i ms as %s, as OpenAI does', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('sends request and token headers only for the limits that exist', () => {
    const report = { remainingRequests: 4, remainingTokens: 90, resetRequestsMs: 1_000, resetTokensMs: 500 };
    expect(rateLimitHeaders({ name: 'dep:a', rpm: 5, tpm: null, maxParallel: null }, { ...report, remainingTokens: null })).toEqual({
      'x-ratelimit-limit-requests': '5',
      'x-ratelimit-remaining-requests': '4',
      'x-ratelimit-reset-requests': '1s',
    });
    expect(rateLimitHeaders({ name: 'dep:a', rpm: 5, tpm: 100, maxParallel: null }, report)).toMatchObject({
      'x-ratelimit-limit-tokens': '100',
      'x-ratelimit-remaining-tokens': '90',
      'x-ratelimit-reset-tokens': '500ms',
    });
    expect(rateLimitHeaders({ name: 'dep:a', rpm: null, tpm: null, maxParallel: 3 }, report)).toEqual({});
  });

  it('never says 0ms while part of the budget is used, and says 0ms when none is', () => {
    const scope = { name: 'dep:a', rpm: 5, tpm: 100, maxParallel: null };
    expect(rateLimitHeaders(scope, { remainingRequests: 4, remainingTokens: 90, resetRequestsMs: 0.3, resetTokensMs: 0 })).toMatchObject({
      'x-ratelimit-reset-requests': '1ms',
      'x-ratelimit-reset-tokens': '1ms',
    });
    expect(rateLimitHeaders(scope, { remainingRequests: 5, remainingTokens: 100, resetRequestsMs: 0, resetTokensMs: 0 })).toMatchObject({
      'x-ratelimit-reset-requests': '0ms',
      'x-ratelimit-reset-tokens': '0ms',
    });
  });
});
