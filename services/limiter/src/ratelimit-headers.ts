import type { LimitScope, WindowReport } from './cluster-limiter.js';

/**
 * The `x-ratelimit-*` headers as OpenAI sends them; durations in its format
 * ("1s", "6m0s", "250ms"). Only limits that exist get headers.
 */
export function rateLimitHeaders(scope: LimitScope, report: WindowReport): Record<string, string> {
  const headers: Record<string, string> = {};
  if (scope.rpm !== null && report.remainingRequests !== null) {
    headers['x-ratelimit-limit-requests'] = String(scope.rpm);
    headers['x-ratelimit-remaining-requests'] = String(report.remainingRequests);
    headers['x-ratelimit-reset-requests'] = formatDuration(report.resetRequestsMs);
  }
  if (scope.tpm !== null && report.remainingTokens !== null) {
    headers['x-ratelimit-limit-tokens'] = String(scope.tpm);
    headers['x-ratelimit-remaining-tokens'] = String(report.remainingTokens);
    headers['x-ratelimit-reset-tokens'] = formatDuration(report.resetTokensMs);
  }
  return headers;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const totalSeconds = ms / 1000;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds - minutes * 60;
  const secondsText = `${Number.isInteger(seconds) ? seconds : seconds.toFixed(3).replace(/0+$/, '')}s`;
  return minutes > 0 ? `${minutes}m${secondsText}` : secondsText;
}
