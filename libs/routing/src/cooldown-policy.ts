import type { Deployment, ReliabilitySettings } from '@switchyard/config';
import { countsTowardCooldown, errorKindOf, type FailureKind } from './failure-kind.js';

/*
 * Cooldowns, decided here and counted in Redis by the limiter: a deployment
 * whose failures within a minute exceed `allowed_fails` (or the
 * `allowed_fails_policy` entry of the failure's kind) is skipped by every
 * replica for its cooldown time, then comes back by itself (the key expires).
 */

/** Window in which failures are counted: LiteLLM's "failures per minute". */
export const FAILURE_WINDOW_MS = 60_000;

export interface CooldownRule {
  /** Failures allowed in the window; one more starts the cooldown. */
  allowedFails: number;
  cooldownMs: number;
  windowMs: number;
}

/** What could serve a deployment's traffic while it cools down: the rest of its group, its group's fallbacks. */
export interface StandIns {
  groupSize: number;
  fallbackGroups: number;
}

export const NO_STAND_IN: StandIns = { groupSize: 1, fallbackGroups: 0 };

/** Only a deployment something could stand in for is ever cooled down (and so ever worth looking up). */
export function canCoolDown(standIns: StandIns | undefined): boolean {
  return standIns !== undefined && (standIns.groupSize > 1 || standIns.fallbackGroups > 0);
}

/**
 * How to count a deployment's failure, or null when it does not count (or
 * cooldowns are off). A deployment that nothing else could stand in for
 * (alone in its group, and the group has no fallback) never cools down:
 * skipping it would only turn each of its errors into a 429.
 */
export function cooldownRuleFor(
  kind: FailureKind,
  deployment: Deployment,
  settings: ReliabilitySettings,
  standIns: StandIns,
): CooldownRule | null {
  if (settings.disableCooldowns || !countsTowardCooldown(kind) || !canCoolDown(standIns)) return null;
  const errorKind = errorKindOf(kind);
  const allowedFails = (errorKind === null ? undefined : settings.allowedFailsPolicy[errorKind]) ?? settings.allowedFails;
  const cooldownMs = deployment.cooldownTimeMs ?? settings.cooldownTimeMs;
  if (cooldownMs <= 0) return null;
  return { allowedFails, cooldownMs, windowMs: FAILURE_WINDOW_MS };
}

/**
 * The candidates the limiter may admit, in order, without those cooling
 * down. When every one is cooling down the answer is empty: LiteLLM's
 * "no deployments available", which a fallback may still cure.
 */
export function admissionOrder(candidates: readonly string[], cooling: ReadonlySet<string>): { order: string[]; skipped: string[] } {
  const order: string[] = [];
  const skipped: string[] = [];
  for (const id of candidates) (cooling.has(id) ? skipped : order).push(id);
  return { order, skipped };
}
