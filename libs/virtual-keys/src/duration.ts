const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  // LiteLLM counts a month as 30 days in its budget and key durations.
  mo: 30 * 86_400_000,
};

/** LiteLLM's duration text ("30s", "30m", "30h", "30d", "2w", "1mo") in ms; null for text that is not one. */
export function durationMs(text: string): number | null {
  const match = /^(\d{1,6})(s|m|h|d|w|mo)$/.exec(text);
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  return ms > 0 ? ms : null;
}
