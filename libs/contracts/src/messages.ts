import { z } from 'zod';
import { OpenAIErrorBody } from './errors.js';
import { Endpoint, Usage } from './openai.js';

/**
 * A cluster-wide reservation the limiter made for one call; settled to the
 * provider's reported usage when the call completes, or released by expiry.
 */
export const Reservation = z.object({
  id: z.string(),
  deploymentId: z.string(),
  /** The limit scopes charged (`dep:<id>`, later `key:<hash>`): settlement adjusts the same ones. */
  scopes: z.array(z.string()).min(1),
  /** Tokens reserved (estimate), charged to `bucket` of each scope's window. */
  tokens: z.number().int().min(0),
  bucket: z.number().int(),
  /** When the concurrency slot frees itself if the call never completes (epoch ms). */
  expiresAt: z.number().int(),
  /** USD reserved against each budget scope (the call's worst-case cost); settled to the real cost. */
  cost: z.number().min(0).optional(),
  budgetScopes: z.array(z.object({ scope: z.string(), period: z.number().int() })).optional(),
});
export type Reservation = z.infer<typeof Reservation>;

/**
 * A reservation as read from a message that is otherwise unreadable (an
 * unsafe integer is how one becomes so): enough to release it, its budget
 * charge included.
 */
export const LenientReservation = Reservation.extend({ tokens: z.number(), expiresAt: z.number() });

/** A key's, team's or user's scope name in the limiter and the ledger: `key:<hash>`, `team:<id>`, `user:<id>`. */
export const CallerScopeName = z.string().regex(/^(key|team|user):[A-Za-z0-9_.:@-]{1,160}$/);

/** One rpm/tpm/parallel limit of the caller's key or team: a limiter scope, enforced for the cluster as a deployment's is. */
export const CallerLimit = z.object({
  scope: CallerScopeName,
  rpm: z.number().int().positive().nullable(),
  tpm: z.number().int().positive().nullable(),
  maxParallel: z.number().int().positive().nullable(),
});
export type CallerLimit = z.infer<typeof CallerLimit>;

/**
 * A spend cap of the caller's key or team, in USD. The limiter reserves the
 * call's worst-case cost against it and settles to the real cost. Periods
 * (`budget_duration`) start at `periodAnchorMs + k * durationMs` on the
 * cluster's clock (Redis TIME); no duration means one period forever.
 */
export const CallerBudget = z.object({
  scope: CallerScopeName,
  maxBudget: z.number().min(0),
  durationMs: z.number().int().positive().nullable(),
  periodAnchorMs: z.number().int().min(0),
});
export type CallerBudget = z.infer<typeof CallerBudget>;

/**
 * Who the caller is, as the ingress authenticated them (a virtual key read
 * from the key records it holds, or the master key). Set by the ingress only;
 * nothing in it comes from the client's body or headers.
 */
export const Caller = z.object({
  /** sha256 hex of the virtual key; null for the master key (or no auth). */
  keyHash: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  keyAlias: z.string().max(256).nullable(),
  teamId: z.string().max(160).nullable(),
  teamAlias: z.string().max(256).nullable(),
  /** The key's owner (`user_id` of /key/generate), not the request's `user`. */
  userId: z.string().max(160).nullable(),
  limits: z.array(CallerLimit).max(8),
  budgets: z.array(CallerBudget).max(8),
});
export type Caller = z.infer<typeof Caller>;

export const MASTER_CALLER: Caller = Object.freeze({ keyHash: null, keyAlias: null, teamId: null, teamAlias: null, userId: null, limits: [], budgets: [] }) as Caller;

/** What the ledger records of a request beside the caller: the body's `user` and `metadata`, bounded at the ingress. */
export const RequestTags = z.object({
  endUser: z.string().max(256).nullable(),
  /** The request body's `metadata` as JSON text, at most 4 KiB; null when absent or too large. */
  metadata: z.string().max(4096).nullable(),
});
export type RequestTags = z.infer<typeof RequestTags>;

/**
 * Metadata of a decision/call message (header `sy-envelope`). The OpenAI body
 * travels as the raw payload bytes beside it, so a hop that only routes never
 * parses or re-serialises the body.
 */
export const CallEnvelope = z.object({
  v: z.literal(1),
  /** The gateway's own id of the request (never a client's): the key of its body, inbox, cancel and events. */
  requestId: z.string().min(1).max(128),
  /** The client's own x-request-id, validated: carried so events join with it, never used as a key. */
  clientRequestId: z.string().max(128).nullable().default(null),
  endpoint: Endpoint,
  /** The `model` the client asked for (group, alias or router name). */
  requestedModel: z.string(),
  /** The deployment group the request resolved to. */
  modelGroup: z.string(),
  /** The deployment chosen for this attempt. */
  deploymentId: z.string(),
  /** Deployments of the group in preference order, chosen first. */
  candidates: z.array(z.string()).min(1),
  attempt: z.number().int().min(1),
  stream: z.boolean(),
  /** The client asked for `stream_options.include_usage`. */
  clientWantsUsage: z.boolean(),
  estimatedPromptTokens: z.number().int().min(0),
  /** The client's bound on one choice's completion (the larger of max_tokens and max_completion_tokens). */
  maxCompletionTokens: z.number().int().min(0).nullable(),
  /** Completions the provider generates (n, or best_of for completions): each may use maxCompletionTokens. */
  choices: z.number().int().min(1).max(128).default(1),
  timeoutMs: z.number().int().positive(),
  /** Hash of the caller's key; never the key itself. */
  callerId: z.string().nullable(),
  /** The authenticated caller: its key's and team's limits and budgets (issue 17). */
  caller: Caller.default(MASTER_CALLER),
  tags: RequestTags.default({ endUser: null, metadata: null }),
  /** Object-store key of the body when it was larger than the bus allows inline. */
  bodyRef: z.string().nullable(),
  /** Set by the limiter when it admits the call. */
  reservation: Reservation.nullable(),
  /** Rate-limit headers the limiter computed at admission, returned to the client. */
  admissionHeaders: z.record(z.string(), z.string()),
  /**
   * Anthropic's `anthropic-beta` feature flags of a /v1/messages client
   * (Claude Code sends them), validated at the ingress, for an Anthropic
   * deployment only: a list of flag names, never a credential.
   */
  anthropicBeta: z.string().max(1024).regex(/^[A-Za-z0-9._-]+(\s*,\s*[A-Za-z0-9._-]+)*$/).nullish(),
});
export type CallEnvelope = z.infer<typeof CallEnvelope>;

/** The kinds of message an upstream-caller (or limiter) sends to a reply inbox. */
export const ReplyPart = z.enum(['full', 'head', 'chunk', 'end', 'error']);
export type ReplyPart = z.infer<typeof ReplyPart>;

const ResponseHeaders = z.record(z.string(), z.string());

/** `head` (and `full`): the response starts; payload of `full` is the whole body. */
export const ReplyHead = z.object({
  status: z.number().int(),
  contentType: z.string(),
  deploymentId: z.string(),
  attempt: z.number().int().min(1),
  headers: ResponseHeaders,
});
export type ReplyHead = z.infer<typeof ReplyHead>;

/** `end`: the stream (or a body sent in chunks) is complete. */
export const ReplyEnd = z.object({
  usage: Usage.nullable(),
  latencyMs: z.number().min(0),
  /** The call's cost in USD (null when unknown), for the ingress's audit line; absent from older callers. */
  cost: z.number().min(0).nullable().optional(),
});
export type ReplyEnd = z.infer<typeof ReplyEnd>;

/**
 * `error`: the attempt failed. `definite` means the provider certainly did not
 * (or certainly failed to) serve it, so a configured retry cannot double-bill.
 */
export const ReplyError = z.object({
  status: z.number().int(),
  body: OpenAIErrorBody,
  definite: z.boolean(),
  /**
   * Worth another attempt when `num_retries` allows: a definite failure that
   * may go differently next time (provider 5xx or 429, refused connection),
   * not one that will not (a 400, the limiter's own 429).
   */
  retryable: z.boolean(),
  /** Whether a provider was called for this attempt (the audit line counts calls). */
  providerCalled: z.boolean(),
  deploymentId: z.string().nullable(),
  attempt: z.number().int().min(1),
  retryAfterSeconds: z.number().min(0).nullable(),
  headers: ResponseHeaders,
});
export type ReplyError = z.infer<typeof ReplyError>;

export const CallOutcome = z.enum(['ok', 'provider_error', 'connection_error', 'timeout', 'cancelled', 'invalid_response']);
export type CallOutcome = z.infer<typeof CallOutcome>;

/** JetStream event: one provider call finished, whatever its outcome. */
export const CallCompleted = z.object({
  eventId: z.string().min(1),
  requestId: z.string(),
  /** The client's own x-request-id, when it sent one: joins the event with the client's logs. */
  clientRequestId: z.string().nullable().optional(),
  attempt: z.number().int().min(1),
  endpoint: Endpoint,
  modelGroup: z.string(),
  deploymentId: z.string(),
  provider: z.string(),
  providerModel: z.string(),
  stream: z.boolean(),
  status: z.number().int(),
  outcome: CallOutcome,
  usage: Usage.nullable(),
  /**
   * False when the call never reached the provider (an unreadable message,
   * an unknown deployment, a client that left first): nothing can have been
   * billed, so its reservation is released whole. Absent on events of older callers.
   */
  providerCalled: z.boolean().optional(),
  latencyMs: z.number().min(0),
  finishedAt: z.string(),
  reservation: Reservation.nullable(),
  /** The call's cost in USD from the deployment's prices (or the price table); null when neither knows the model. */
  cost: z.number().min(0).nullable().optional(),
  /** The caller and tags of the request, for the spend ledger. Absent on events of older callers. */
  caller: Caller.optional(),
  tags: RequestTags.optional(),
  /**
   * The W3C trace context (`traceparent`, `tracestate`) of the provider call:
   * one JetStream message carries the events of many requests, so each event
   * names its own trace.
   */
  traceContext: z.record(z.string(), z.string()).optional(),
});
export type CallCompleted = z.infer<typeof CallCompleted>;

/**
 * JetStream message on the call-completed subject: the calls one
 * upstream-caller finished within a few milliseconds, in the order they
 * finished. Batching them makes the event stream cost one publish, one
 * store write and one delivery per consumer for many calls instead of each.
 */
export const CallsCompleted = z.object({ events: z.array(CallCompleted).min(1) });
export type CallsCompleted = z.infer<typeof CallsCompleted>;

/**
 * An upstream-caller's presence beat. Limiters hand calls off with a plain
 * publish (no acknowledgement on the request path), so they learn from these
 * beats whether any upstream-caller is there to take a call.
 */
export const CallerPresence = z.object({
  instance: z.string().min(1),
  state: z.enum(['up', 'leaving']),
  /** The caller beats this often; a caller silent for three intervals is gone. */
  intervalMs: z.number().int().positive(),
});
export type CallerPresence = z.infer<typeof CallerPresence>;

/** Cancel broadcast: the client of this request (the gateway's own request id, never a client's) disconnected. */
export const CancelRequest = z.object({ requestId: z.string().min(1).max(128) });
export type CancelRequest = z.infer<typeof CancelRequest>;

/** A deployment's cooldown state for `GET /health/deployments`, as the limiter reads it from Redis. */
export const DeploymentHealthState = z.object({
  deploymentId: z.string(),
  coolingDown: z.boolean(),
  cooldownRemainingMs: z.number().int().min(0),
  /** Failures counted toward the next cooldown in the current window. */
  failuresInWindow: z.number().int().min(0),
  recentFailures: z.array(z.object({ at: z.string(), kind: z.string(), status: z.number().int() })),
});
export type DeploymentHealthState = z.infer<typeof DeploymentHealthState>;

/** The limiter's answer on the deployment-health subject. */
export const DeploymentHealthReply = z.union([
  z.object({ ok: z.literal(true), deployments: z.array(DeploymentHealthState) }),
  z.object({ ok: z.literal(false), message: z.string() }),
]);
export type DeploymentHealthReply = z.infer<typeof DeploymentHealthReply>;
