import { z } from 'zod';

/**
 * OpenAI's Responses API request (POST /v1/responses), as the ingress accepts
 * it. As for chat, objects are loose (fields Switchyard does not read reach an
 * OpenAI deployment untouched); the fields it reads or translates are checked
 * as OpenAI checks them.
 */

const MAX_INPUT_ITEMS = 4096;
const MAX_COMPLETION_TOKENS = 1_000_000;

const ContentPart = z.looseObject({ type: z.string().min(1) });

/** A message item: `type: "message"` may be left out, as the SDKs do for `{ role, content }`. */
export const ResponsesInputMessage = z.looseObject({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(ContentPart)]),
});

export const ResponsesFunctionCall = z.looseObject({
  type: z.literal('function_call'),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});

export const ResponsesFunctionCallOutput = z.looseObject({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(ContentPart)]),
});

const KNOWN_ITEMS: readonly string[] = ['message', 'function_call', 'function_call_output'];

/** Any other item (reasoning, item_reference, built-in tool calls): passed to OpenAI, refused by the translation. */
const OtherInputItem = z.looseObject({ type: z.string().min(1).refine((type) => !KNOWN_ITEMS.includes(type), 'this item is malformed') });

export const ResponsesInputItem = z.union([ResponsesFunctionCall, ResponsesFunctionCallOutput, ResponsesInputMessage, OtherInputItem]);
export type ResponsesInputItem = z.infer<typeof ResponsesInputItem>;

export const ResponsesFunctionTool = z.looseObject({
  type: z.literal('function'),
  name: z.string().min(1).max(128),
  description: z.string().nullable().optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional(),
  strict: z.boolean().nullable().optional(),
});

const OtherTool = z.looseObject({ type: z.string().min(1).refine((type) => type !== 'function', 'a function tool needs a name') });

const ToolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.looseObject({ type: z.literal('function'), name: z.string().min(1) }),
  z.looseObject({ type: z.string().min(1).refine((type) => type !== 'function', 'a function tool_choice needs a name') }),
]);

const TextFormat = z.union([
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    name: z.string().min(1).max(64),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().nullable().optional(),
  }),
]);

export const ResponsesRequest = z.looseObject({
  model: z.string().min(1, 'model must be a non-empty string').max(256),
  input: z.union([z.string(), z.array(ResponsesInputItem).max(MAX_INPUT_ITEMS)]).optional(),
  instructions: z.string().nullable().optional(),
  tools: z.array(z.union([ResponsesFunctionTool, OtherTool])).optional(),
  tool_choice: ToolChoice.optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  max_output_tokens: z.number().int().min(1).max(MAX_COMPLETION_TOKENS).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  text: z.looseObject({ format: TextFormat.optional() }).nullable().optional(),
  // OpenAI's own bounds: 16 pairs, keys up to 64 characters, values up to 512.
  metadata: z.record(z.string().max(64), z.string().max(512)).refine((value) => Object.keys(value).length <= 16, 'metadata takes at most 16 pairs').nullable().optional(),
  store: z.boolean().nullable().optional(),
  previous_response_id: z.string().min(1).max(256).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  user: z.string().optional(),
});
export type ResponsesRequest = z.infer<typeof ResponsesRequest>;

/**
 * Where a response an OpenAI or Azure deployment stores lives, as every
 * ingress replica reads it: the deployment that made it and the caller who
 * asked, so only that caller can read, delete or continue it.
 */
export const StoredResponseOwner = z.object({
  deploymentId: z.string().min(1),
  /** Hash of the caller's key (null: the master key, or no auth). */
  callerId: z.string().nullable(),
  /** The model the client asked for: a wildcard route's deployment is resolved with it again. */
  requestedModel: z.string().max(256).optional(),
});
export type StoredResponseOwner = z.infer<typeof StoredResponseOwner>;

/** ingress -> upstream-caller (request/reply): read or delete one stored response at its deployment. */
export const StoredResponseCall = z.object({
  requestId: z.string().min(1).max(128),
  operation: z.enum(['retrieve', 'delete']),
  responseId: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/),
  deploymentId: z.string().min(1),
  /** The model the response was made for (resolves a wildcard route's deployment). */
  requestedModel: z.string().max(256).nullable().default(null),
  timeoutMs: z.number().int().positive(),
});
export type StoredResponseCall = z.infer<typeof StoredResponseCall>;

/** The upstream-caller's answer: the provider's status and body, or the gateway's own error body. */
export const StoredResponseReply = z.object({
  status: z.number().int(),
  /** The body as the provider sent it (scrubbed of secrets), or an OpenAI error body. */
  body: z.string(),
  contentType: z.string(),
  providerCalled: z.boolean(),
});
export type StoredResponseReply = z.infer<typeof StoredResponseReply>;
