import type { LimitScope, WindowReport } from './cluster-limiter.js';

/**
 * The `x-ratelimit-*` headers as OpenAI sends them; durations in its format
 * ("1s", "6m0s", "250ms"). Only limits that exist get headers. A reset is the
 * time until the whole budget is back (what is counted now has slid out of
 * the window), as OpenAI means it.
 */
export function rateLimitHeaders(scope: LimitScope, report: WindowReport): Record<string, string> {
  const headers: Record<string, string> = {};
  if (scope.rpm !== null && report.remainingRequests !== null) {
    headers['x-ratelimit-limit-requests'] = String(scope.rpm);
    headers['x-ratelimit-remaining-requests'] = String(report.remainingRequests);
    headers['x-ratelimit-reset-requests'] = resetText(report.remainingRequests, scope.rpm, report.resetRequestsMs);
  }
  if (scope.tpm !== null && report.remainingTokens !== null) {
    headers['x-ratelimit-limit-tokens'] = String(scope.tpm);
    headers['x-ratelimit-remaining-tokens'] = String(report.remainingTokens);
    headers['x-ratelimit-reset-tokens'] = resetText(report.remainingTokens, scope.tpm, report.resetTokensMs);
  }
  return headers;
}

/** Nothing to wait for only when nothing is counted; otherwise at least 1 ms, never "0ms". */
function resetText(remaining: number, limit: number, ms: number): string {
  return formatDuration(remaining >= limit ? 0 : Math.max(1, Math.ceil(ms)));
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const totalSeconds = ms / 1000;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds - minutes * 60;
  const secondsText = `${Number.isInteger(seconds) ? seconds : seconds.toFixed(3).replace(/0+$/, '')}s`;
  return minutes > 0 ? `${minutes}m${secondsText}` : secondsText;
}
