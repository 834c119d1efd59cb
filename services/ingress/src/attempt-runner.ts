import type { Deployment } from '@switchyard/config';
import {
  failureKindOf,
  firstAttempt,
  nextAttempt,
  type AttemptRole,
  type FailedAttempt,
  type PolicyContext,
  type PolicyRequest,
  type StopReason,
} from '@switchyard/routing';
import type { AttemptResult } from './dispatch.js';

/** One attempt the policy asked for, as the proxy sends it. */
export interface AttemptStep {
  /** 1-based, over the whole request (retries and fallbacks included). */
  attempt: number;
  role: AttemptRole;
  group: string;
  candidates: Deployment[];
}

/** One attempt as the audit line lists it. */
export interface AttemptEntry {
  attempt: number;
  role: AttemptRole;
  group: string;
  /** The deployment that served or failed it; null when none was admitted. */
  deployment: string | null;
  status: number;
  /** `ok`, or the error code of the failure. */
  outcome: string;
  latencyMs: number;
  providerCalled: boolean;
}

export interface AttemptRun {
  /** The response to deliver, or the failure that ended the request. */
  result: AttemptResult;
  step: AttemptStep;
  trail: AttemptEntry[];
  retries: number;
  fallbacks: number;
  /** Why the policy stopped, when the request ends in a failure. */
  stopReason: StopReason | 'client_gone' | null;
}

export interface RunnerHooks {
  /** Sends one attempt and waits for the start of its reply. */
  send(step: AttemptStep): Promise<AttemptResult>;
  /** Waits a backoff; resolves false when the request should not go on (the client left). */
  wait(ms: number): Promise<boolean>;
  /** True when nothing more should be sent (the client left). */
  isCancelled?(): boolean;
  onAttemptFailed?(entry: AttemptEntry, next: { role: AttemptRole; group: string } | null): void;
}

/**
 * Carries out the attempt policy's decisions for one request: the first
 * attempt, then after each failure what `nextAttempt` says, until a response
 * starts or the policy stops. The policy decides; this only sends and keeps
 * the trail.
 */
export async function runAttempts(request: PolicyRequest, context: PolicyContext, hooks: RunnerHooks): Promise<AttemptRun | null> {
  let next = firstAttempt(request, context);
  if (next.kind === 'stop') return null;
  const failures: FailedAttempt[] = [];
  const trail: AttemptEntry[] = [];
  for (let attempt = 1; ; attempt++) {
    const step: AttemptStep = { attempt, role: next.role, group: next.group, candidates: next.candidates };
    const started = performance.now();
    const result = await hooks.send(step);
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    const counts = { retries: count(trail, 'retry') + (step.role === 'retry' ? 1 : 0), fallbacks: count(trail, 'fallback') + (step.role === 'fallback' ? 1 : 0) };
    if (result.kind === 'response') {
      trail.push({ attempt, role: step.role, group: step.group, deployment: result.head.deploymentId, status: result.head.status, outcome: 'ok', latencyMs, providerCalled: true });
      return { result, step, trail, ...counts, stopReason: null };
    }
    // The limiter names the deployment it admitted (or refused); without that, the first candidate is the one it would have tried.
    const deployment = result.deploymentId ?? step.candidates[0]?.id ?? null;
    const entry: AttemptEntry = {
      attempt,
      role: step.role,
      group: step.group,
      deployment,
      status: result.error.status,
      outcome: result.error.code,
      latencyMs,
      providerCalled: result.providerCalled,
    };
    trail.push(entry);
    failures.push({
      group: step.group,
      role: step.role,
      deploymentId: deployment,
      kind: failureKindOf({ status: result.error.status, code: result.error.code, providerCalled: result.providerCalled }),
      definite: result.definite,
      retryAfterSeconds: result.error.retryAfterSeconds ?? null,
    });
    if (hooks.isCancelled?.()) return { result, step, trail, ...counts, stopReason: 'client_gone' };
    next = nextAttempt(request, failures, context);
    hooks.onAttemptFailed?.(entry, next.kind === 'attempt' ? { role: next.role, group: next.group } : null);
    if (next.kind === 'stop') return { result, step, trail, ...counts, stopReason: next.reason };
    if (next.delayMs > 0 && !(await hooks.wait(next.delayMs))) return { result, step, trail, ...counts, stopReason: 'client_gone' };
  }
}

function count(trail: readonly AttemptEntry[], role: AttemptRole): number {
  return trail.filter((entry) => entry.role === role).length;
}
