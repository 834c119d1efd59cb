import type { Caller, CallerBudget, CallerLimit, KeyRecord, TeamRecord } from '@switchyard/contracts';

/** The limiter scope of a key (its hash) and of a team (its id), as the contract names them. */
export function keyScope(keyHash: string): string {
  return `key:${keyHash}`;
}

export function teamScope(teamId: string): string {
  return `team:${teamId}`;
}

interface Bounds {
  rpm: number | null;
  tpm: number | null;
  maxParallel: number | null;
  maxBudget: number | null;
  budgetDurationMs: number | null;
  budgetAnchorMs: number;
}

function limitOf(scope: string, bounds: Bounds): CallerLimit[] {
  if (bounds.rpm === null && bounds.tpm === null && bounds.maxParallel === null) return [];
  return [{ scope, rpm: bounds.rpm, tpm: bounds.tpm, maxParallel: bounds.maxParallel }];
}

function budgetOf(scope: string, bounds: Bounds): CallerBudget[] {
  if (bounds.maxBudget === null) return [];
  return [{ scope, maxBudget: bounds.maxBudget, durationMs: bounds.budgetDurationMs, periodAnchorMs: bounds.budgetAnchorMs }];
}

/**
 * The caller a virtual key authenticates as: its own and its team's limits
 * (limiter scopes) and budgets (ledger scopes), key first.
 */
export function callerOf(key: KeyRecord, team: TeamRecord | null): Caller {
  const scopes = [
    { scope: keyScope(key.keyHash), bounds: key },
    ...(team ? [{ scope: teamScope(team.teamId), bounds: team }] : []),
  ];
  return {
    keyHash: key.keyHash,
    keyAlias: key.keyAlias,
    teamId: key.teamId,
    teamAlias: team?.teamAlias ?? null,
    userId: key.userId,
    limits: scopes.flatMap(({ scope, bounds }) => limitOf(scope, bounds)),
    budgets: scopes.flatMap(({ scope, bounds }) => budgetOf(scope, bounds)),
  };
}
