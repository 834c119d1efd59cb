import { z } from 'zod';

/**
 * Virtual keys and teams (LiteLLM's management API, issue 17). The HTTP
 * bodies are LiteLLM's; the ingress validates them with these schemas and
 * sends them to the keys service, which owns the tables. A key travels on
 * the bus only as its sha256 hash: the ingress makes (or takes) the key,
 * hashes it and adds it to the one response that shows it.
 */

/** sha256 hex of a virtual key: what Postgres, the bus and every log know of it. */
export const KeyHash = z.string().regex(/^[0-9a-f]{64}$/);

/** A team id fits a limiter scope name (`team:<id>`), so it is bounded and plain. */
export const TeamId = z.string().regex(/^[A-Za-z0-9_.:@-]{1,128}$/, 'team_id: letters, digits and _ . : @ - only, at most 128');

/** LiteLLM's durations: "30s", "30m", "30h", "30d", "2w", "1mo". */
export const DurationText = z.string().regex(/^\d{1,6}(s|m|h|d|w|mo)$/, 'a duration such as "30s", "30m", "30h", "30d", "2w" or "1mo"');

const Models = z.array(z.string().min(1).max(256)).max(256);
/** JSON object of caller-chosen labels, bounded: it is published to every replica. */
const Metadata = z
  .record(z.string().max(256), z.unknown())
  .refine((value) => JSON.stringify(value).length <= 16_384, 'metadata: at most 16 KiB of JSON');
const Limit = z.number().int().positive().max(1e15);
const Budget = z.number().min(0).max(1e12);

/** The fields /key/generate and /key/update share (LiteLLM's KeyRequestBase). */
const KeyFields = {
  key_alias: z.string().min(1).max(256).nullish(),
  duration: DurationText.nullish(),
  models: Models.nullish(),
  max_budget: Budget.nullish(),
  budget_duration: DurationText.nullish(),
  user_id: z.string().min(1).max(160).nullish(),
  team_id: TeamId.nullish(),
  max_parallel_requests: Limit.nullish(),
  rpm_limit: Limit.nullish(),
  tpm_limit: Limit.nullish(),
  metadata: Metadata.nullish(),
  blocked: z.boolean().nullish(),
};

/** POST /key/generate. `key` (a custom key) is the ingress's: only its hash goes further. */
export const GenerateKeyRequest = z.object({ ...KeyFields, key: z.string().nullish() });
export type GenerateKeyRequest = z.infer<typeof GenerateKeyRequest>;

/** POST /key/update: the key (or a hash of it), or its alias; null leaves a field unchanged. */
export const UpdateKeyRequest = z.object({ ...KeyFields, key: z.string().min(1).nullish() });
export type UpdateKeyRequest = z.infer<typeof UpdateKeyRequest>;

/** POST /key/delete. */
export const DeleteKeyRequest = z.object({
  keys: z.array(z.string().min(1)).max(1000).nullish(),
  key_aliases: z.array(z.string().min(1).max(256)).max(1000).nullish(),
});
export type DeleteKeyRequest = z.infer<typeof DeleteKeyRequest>;

/** POST /key/block and /key/unblock. */
export const BlockKeyRequest = z.object({ key: z.string().min(1) });

const TeamFields = {
  team_alias: z.string().min(1).max(256).nullish(),
  models: Models.nullish(),
  max_budget: Budget.nullish(),
  budget_duration: DurationText.nullish(),
  rpm_limit: Limit.nullish(),
  tpm_limit: Limit.nullish(),
  max_parallel_requests: Limit.nullish(),
  metadata: Metadata.nullish(),
  blocked: z.boolean().nullish(),
};

/** POST /team/new. */
export const NewTeamRequest = z.object({ ...TeamFields, team_id: TeamId.nullish() });
export type NewTeamRequest = z.infer<typeof NewTeamRequest>;

/** POST /team/update. */
export const UpdateTeamRequest = z.object({ ...TeamFields, team_id: TeamId });
export type UpdateTeamRequest = z.infer<typeof UpdateTeamRequest>;

/** POST /team/delete. */
export const DeleteTeamRequest = z.object({ team_ids: z.array(TeamId).min(1).max(1000) });

/** POST /team/block and /team/unblock. */
export const BlockTeamRequest = z.object({ team_id: TeamId });

/** The key fields of a management call, as the keys service receives them: `key` is always a hash here. */
const KeyRef = z.object({ keyHash: KeyHash.nullable(), keyAlias: z.string().max(256).nullable() });

/** One management call on the keys subject (request-reply). */
export const KeysCall = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('key.generate'),
    keyHash: KeyHash,
    /** "sk-...abcd": what LiteLLM shows of a key after it was generated. */
    keyName: z.string().max(16),
    body: GenerateKeyRequest.omit({ key: true }),
  }),
  z.object({ op: z.literal('key.update'), ref: KeyRef, body: UpdateKeyRequest.omit({ key: true }) }),
  z.object({ op: z.literal('key.delete'), keyHashes: z.array(KeyHash).max(1000), keyAliases: z.array(z.string().max(256)).max(1000) }),
  z.object({ op: z.literal('key.info'), keyHash: KeyHash }),
  z.object({
    op: z.literal('key.list'),
    page: z.number().int().min(1),
    size: z.number().int().min(1).max(100),
    teamId: z.string().max(128).nullable(),
    userId: z.string().max(160).nullable(),
    keyAlias: z.string().max(256).nullable(),
    fullObjects: z.boolean(),
  }),
  z.object({ op: z.literal('key.block'), keyHash: KeyHash, blocked: z.boolean() }),
  z.object({ op: z.literal('team.new'), body: NewTeamRequest }),
  z.object({ op: z.literal('team.update'), body: UpdateTeamRequest }),
  z.object({ op: z.literal('team.delete'), teamIds: z.array(TeamId).min(1).max(1000) }),
  z.object({ op: z.literal('team.info'), teamId: z.string().max(128) }),
  z.object({ op: z.literal('team.list'), userId: z.string().max(160).nullable() }),
  z.object({ op: z.literal('team.block'), teamId: TeamId, blocked: z.boolean() }),
]);
export type KeysCall = z.infer<typeof KeysCall>;

/** The keys service's answer: LiteLLM's response body, or LiteLLM's error (status, message, type, param). */
export const KeysReply = z.union([
  z.object({ ok: z.literal(true), body: z.unknown() }),
  z.object({
    ok: z.literal(false),
    status: z.number().int().min(400).max(599),
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
  }),
]);
export type KeysReply = z.infer<typeof KeysReply>;

/**
 * A key as every ingress replica holds it (the keys KV bucket): the hash,
 * never the key. Times are epoch ms.
 */
export const KeyRecord = z.object({
  keyHash: KeyHash,
  keyName: z.string().max(16),
  keyAlias: z.string().max(256).nullable(),
  teamId: z.string().max(128).nullable(),
  userId: z.string().max(160).nullable(),
  models: z.array(z.string()),
  rpm: z.number().int().positive().nullable(),
  tpm: z.number().int().positive().nullable(),
  maxParallel: z.number().int().positive().nullable(),
  maxBudget: z.number().min(0).nullable(),
  budgetDurationMs: z.number().int().positive().nullable(),
  /** When the key's first budget period started (its creation). */
  budgetAnchorMs: z.number().int().min(0),
  expiresAt: z.number().int().nullable(),
  blocked: z.boolean(),
  metadata: z.record(z.string(), z.unknown()),
  /** Grows with every change: a replica keeps the newest it has seen. */
  version: z.number().int().min(0),
});
export type KeyRecord = z.infer<typeof KeyRecord>;

/** A team as every ingress replica holds it. */
export const TeamRecord = z.object({
  teamId: z.string().max(128),
  teamAlias: z.string().max(256).nullable(),
  models: z.array(z.string()),
  rpm: z.number().int().positive().nullable(),
  tpm: z.number().int().positive().nullable(),
  maxParallel: z.number().int().positive().nullable(),
  maxBudget: z.number().min(0).nullable(),
  budgetDurationMs: z.number().int().positive().nullable(),
  budgetAnchorMs: z.number().int().min(0),
  blocked: z.boolean(),
  metadata: z.record(z.string(), z.unknown()),
  version: z.number().int().min(0),
});
export type TeamRecord = z.infer<typeof TeamRecord>;

/** KV keys of the records: a team id may hold characters a KV key may not, so it is base64url-encoded. */
export function keyRecordKey(keyHash: string): string {
  return `key.${keyHash}`;
}

export function teamRecordKey(teamId: string): string {
  return `team.${Buffer.from(teamId, 'utf8').toString('base64url')}`;
}
