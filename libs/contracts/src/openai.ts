import { z } from 'zod';
import { MessagesRequest } from './anthropic.js';
import { ResponsesRequest } from './responses.js';

/**
 * The OpenAI request bodies the ingress accepts. Objects are loose: fields
 * Switchyard does not know (provider-specific parameters) pass through to the
 * provider untouched, as every OpenAI-compatible gateway does. The fields it
 * does know are checked as strictly as OpenAI checks them.
 */

export const MAX_MESSAGES = 4096;

const ContentPart = z.looseObject({ type: z.string().min(1) });

export const ChatMessage = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
  tool_calls: z.array(z.looseObject({ id: z.string().optional(), type: z.string().optional() })).optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

const StreamOptions = z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional();
/**
 * The most completion tokens a request may ask for when its deployment does
 * not say (no model catalogue yet; `model_info.max_output_tokens` in the
 * config tightens it per deployment). No model writes more than this in one
 * reply, and it keeps every reservation a safe integer: a max_tokens of 2^53
 * used to make a reservation the upstream-caller could not read.
 */
export const MAX_COMPLETION_TOKENS_CAP = 1_000_000;
const TokenCount = z.number().int().min(1).max(MAX_COMPLETION_TOKENS_CAP).nullable().optional();
/** OpenAI's own bound for best_of (completions): each candidate is generated and billed. */
const BestOf = z.number().int().min(1).max(20).nullable().optional();
const Temperature = z.number().min(0).max(2).nullable().optional();
const TopP = z.number().min(0).max(1).nullable().optional();
const ChoiceCount = z.number().int().min(1).max(128).nullable().optional();
const Metadata = z.record(z.string(), z.unknown()).nullable().optional();
const ModelName = z.string().min(1, 'model must be a non-empty string').max(256);

export const ChatCompletionRequest = z.looseObject({
  model: ModelName,
  messages: z.array(ChatMessage).min(1, 'messages must contain at least one message').max(MAX_MESSAGES),
  stream: z.boolean().nullable().optional(),
  stream_options: StreamOptions,
  max_tokens: TokenCount,
  max_completion_tokens: TokenCount,
  n: ChoiceCount,
  temperature: Temperature,
  top_p: TopP,
  user: z.string().optional(),
  metadata: Metadata,
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

const TokenArray = z.array(z.number().int().min(0));
const PromptInput = z.union([
  z.string(),
  z.array(z.string()).min(1),
  TokenArray.min(1),
  z.array(TokenArray.min(1)).min(1),
]);

export const CompletionRequest = z.looseObject({
  model: ModelName,
  prompt: PromptInput,
  stream: z.boolean().nullable().optional(),
  stream_options: StreamOptions,
  max_tokens: TokenCount,
  n: ChoiceCount,
  best_of: BestOf,
  temperature: Temperature,
  top_p: TopP,
  user: z.string().optional(),
});
export type CompletionRequest = z.infer<typeof CompletionRequest>;

export const EmbeddingRequest = z.looseObject({
  model: ModelName,
  input: z.union([
    z.string().min(1, 'input must not be empty'),
    z.array(z.string()).min(1).max(2048),
    TokenArray.min(1),
    z.array(TokenArray.min(1)).min(1).max(2048),
  ]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().min(1).optional(),
  user: z.string().optional(),
});
export type EmbeddingRequest = z.infer<typeof EmbeddingRequest>;

/** Every endpoint the gateway serves; ENDPOINTS below says what each one is. */
export const Endpoint = z.enum(['chat.completions', 'completions', 'embeddings', 'messages', 'responses']);
export type Endpoint = z.infer<typeof Endpoint>;

/** OpenTelemetry's gen_ai.operation.name for each endpoint. */
export const GEN_AI_OPERATION: Record<Endpoint, string> = { 'chat.completions': 'chat', completions: 'text_completion', embeddings: 'embeddings', messages: 'chat', responses: 'chat' };

export const RequestSchemas = {
  'chat.completions': ChatCompletionRequest,
  completions: CompletionRequest,
  embeddings: EmbeddingRequest,
  messages: MessagesRequest,
  responses: ResponsesRequest,
} as const;

export interface EndpointFacts {
  /** The HTTP path under /v1. */
  path: string;
  /** `stream: true` asks for Server-Sent Events. */
  streams: boolean;
  /** Whose error shape the route answers with. */
  errorDialect: 'openai' | 'anthropic';
  /** The deployment defaults (litellm_params) the endpoint takes. */
  defaults: readonly string[];
  /**
   * The endpoint's streams report usage whatever the client asks (the
   * Responses API's response.completed): no stream_options is added, and the
   * client sees the stream as the provider sent it.
   */
  alwaysStreamsUsage?: boolean;
}

/** The endpoint table: the ingress routes, the stream switch and the error shape read it. */
export const ENDPOINTS: Readonly<Record<Endpoint, EndpointFacts>> = {
  'chat.completions': { path: '/chat/completions', streams: true, errorDialect: 'openai', defaults: ['max_tokens', 'temperature', 'top_p'] },
  completions: { path: '/completions', streams: true, errorDialect: 'openai', defaults: ['max_tokens', 'temperature', 'top_p'] },
  embeddings: { path: '/embeddings', streams: false, errorDialect: 'openai', defaults: [] },
  messages: { path: '/messages', streams: true, errorDialect: 'anthropic', defaults: ['temperature', 'top_p'] },
  responses: { path: '/responses', streams: true, errorDialect: 'openai', defaults: ['temperature', 'top_p'], alwaysStreamsUsage: true },
};

export const Usage = z.looseObject({
  prompt_tokens: z.number().int().min(0),
  completion_tokens: z.number().int().min(0).optional().default(0),
  total_tokens: z.number().int().min(0),
});
export type Usage = z.infer<typeof Usage>;

export interface ModelListEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}
