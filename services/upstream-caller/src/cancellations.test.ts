import { describe, expect, it } from 'vitest';
import { CallCancellations } from './cancellations.js';

describe('upstream-caller: call cancellations', () => {
  it('upstream-caller: a cancel aborts every call of its request and no other', () => {
    const calls = new CallCancellations();
    const first = calls.begin('req_a');
    const retry = calls.begin('req_a');
    const other = calls.begin('req_b');
    calls.cancel('req_a');
    expect([first.signal.aborted, retry.signal.aborted, other.signal.aborted]).toEqual([true, true, false]);
    first.end();
    retry.end();
    other.end();
    expect(calls.size).toBe(0);
  });

  it('upstream-caller: a cancel that overtakes its call aborts the call when it arrives, until the memory lapses', () => {
    let now = 0;
    const calls = new CallCancellations({ ttlMs: 1_000, now: () => now });
    calls.cancel('req_early');
    expect(calls.begin('req_early').signal.aborted).toBe(true);
    now = 1_000;
    expect(calls.wasCancelled('req_early')).toBe(false);
    expect(calls.begin('req_early').signal.aborted).toBe(false);
  });

  it('upstream-caller: remembered cancels are bounded, the oldest forgotten first', () => {
    const calls = new CallCancellations({ maxEntries: 3 });
    for (const id of ['r1', 'r2', 'r3', 'r4', 'r5']) calls.cancel(id);
    expect(['r1', 'r2', 'r3', 'r4', 'r5'].map((id) => calls.wasCancelled(id))).toEqual([false, false, true, true, true]);
  });
});
