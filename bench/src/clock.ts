/**
 * Wall-clock milliseconds with sub-millisecond resolution. Two processes on
 * one machine read the same clock through it, up to the offset that
 * `MockHandle.clockOffset` measures.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
