import { z } from 'zod';

/** The request types of adaptive routing: a turn's type picks the bandit cell it is routed and judged by. */
export const REQUEST_TYPES = [
  'code_generation',
  'code_understanding',
  'technical_design',
  'analytical_reasoning',
  'writing',
  'factual_lookup',
  'general',
] as const;
export const RequestType = z.enum(REQUEST_TYPES);
export type RequestType = z.infer<typeof RequestType>;

export const ToolCall = z.object({
  name: z.string(),
  /** Parsed arguments, or the raw JSON string an OpenAI tool call carries. */
  args: z.unknown(),
});
export type ToolCall = z.infer<typeof ToolCall>;

export const ToolResult = z.object({
  isError: z.boolean(),
  content: z.string(),
});
export type ToolResult = z.infer<typeof ToolResult>;

/**
 * JetStream event: one learned turn of an adaptive-router conversation, as
 * the ingress read it from the request's history. The client resends the
 * conversation with each turn, so the texts the signals compare travel here
 * and the learner needs no ordered per-session state beyond two flags.
 * Texts are capped; no key, header or identity travels.
 */
export const TurnEvent = z.object({
  eventId: z.string().min(1),
  requestId: z.string(),
  router: z.string(),
  /** Hash that names the conversation; never the caller's key. */
  sessionKey: z.string(),
  requestType: RequestType,
  /** The model that serves this turn. */
  model: z.string(),
  /** The session's owner: the model the user's reaction in this turn judges. */
  owner: z.string(),
  /** User messages before this one in the history. */
  turnIndex: z.number().int().min(0),
  userText: z.string(),
  previousUserText: z.string().nullable(),
  /** The latest assistant message of the history: the response this turn reacts to. */
  assistantText: z.string().nullable(),
  previousAssistantText: z.string().nullable(),
  /** Tool calls and results since the last user message. */
  toolCalls: z.array(ToolCall),
  toolResults: z.array(ToolResult),
  /** Signatures of the (up to 20) tool calls before those. */
  earlierToolCalls: z.array(z.string()).max(20),
  /** HTTP status the gateway answered this turn with. */
  status: z.number().int().nullable(),
  at: z.string(),
  /**
   * Who teaches with this turn: the caller id (a hash of its key, as in the
   * audit log, never the key) or `anonymous`. The learner caps each teacher's
   * evidence per cell and window (issue 18). Defaults keep events published
   * before these fields learnable.
   */
  teacher: z.string().min(1).max(128).default('anonymous'),
  /** Multiplies the turn's deltas: 0 when the caller may not teach, or pinned the session's model with a minimum tier. */
  weight: z.number().min(0).max(10).default(1),
  /** The router's cap: evidence one teacher may add to one cell per window; null: none. */
  evidenceCap: z.object({ perTeacher: z.number().positive(), windowSeconds: z.number().int().positive() }).nullable().default(null),
});
export type TurnEvent = z.infer<typeof TurnEvent>;

/**
 * JetStream event: an explicit score of one routed response (POST
 * /v1/feedback). The ingress resolved the request id to the cell it was
 * routed by and checked that the scorer is the caller who made the request.
 * The event id derives from (request id, caller): one score per response
 * counts, however often it is sent.
 */
export const FeedbackEvent = z.object({
  eventId: z.string().min(1),
  requestId: z.string().min(1),
  router: z.string(),
  requestType: RequestType,
  /** The model that served the scored request. */
  model: z.string(),
  teacher: z.string().min(1).max(128),
  /** In [-1, 1]: the client's value scaled; positive adds alpha, negative beta. */
  score: z.number().min(-1).max(1),
  /** The router's explicit-feedback weight times the client's own weight (Portkey's `weight`). */
  weight: z.number().min(0).max(100),
  evidenceCap: z.object({ perTeacher: z.number().positive(), windowSeconds: z.number().int().positive() }).nullable(),
  at: z.string(),
});
export type FeedbackEvent = z.infer<typeof FeedbackEvent>;

/** What the learner publishes per changed cell (NATS KV) and the ingress samples from. */
export const CellEvidence = z.object({
  router: z.string(),
  requestType: RequestType,
  model: z.string(),
  /** Learned evidence only; the prior comes from config. */
  alpha: z.number(),
  beta: z.number(),
  samples: z.number().int().min(0),
  /** Increases with every update, so a stale value never overwrites a newer one. */
  version: z.number().int().min(0),
  /** The part of the evidence explicit scores gave; the rest came from conversation signals. */
  explicit: z.object({ alpha: z.number(), beta: z.number() }).default({ alpha: 0, beta: 0 }),
  /** The teachers who gave most of the evidence in the learner's memory of them (8 days), at most 10. */
  teachers: z.array(z.object({ teacher: z.string(), alpha: z.number(), beta: z.number() })).max(10).default([]),
});
export type CellEvidence = z.infer<typeof CellEvidence>;

/** KV key of a cell: base64url, since model names may hold characters KV keys may not. */
export function cellKey(router: string, requestType: RequestType, model: string): string {
  return Buffer.from(JSON.stringify([router, requestType, model])).toString('base64url');
}
