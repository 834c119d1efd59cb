import type { BenchOptions } from './args.js';
import type { MockHandle } from './mock/process.js';
import type { Target } from './targets.js';

/** What every benchmark gets from the CLI: its options, the mock, and the targets that are up. */
export interface BenchContext {
  options: BenchOptions;
  mock: MockHandle;
  direct: Target;
  /** Null when Switchyard could not start (the reason is in the report). */
  switchyard: { limited: Target; unlimited: Target } | null;
  /** Null when the peer is off or could not start. */
  peer: Target | null;
  /** The peer for streamed requests (see peer/hooks.ts); null when off or not started. */
  peerStreaming: Target | null;
  /** A progress line (the CLI prints it to stderr). */
  progress(message: string): void;
}

/** The gateways compared in a run, Switchyard first. */
export function gatewayTargets(ctx: BenchContext): Target[] {
  return [ctx.switchyard?.limited, ctx.peer].filter((target): target is Target => target !== null && target !== undefined);
}
