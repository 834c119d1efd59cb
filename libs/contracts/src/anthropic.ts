import { z } from 'zod';

/**
 * Anthropic's Messages API request (POST /v1/messages), as the ingress
 * accepts it: the fields it reads are checked as Anthropic checks them, the
 * rest pass through loose (to an Anthropic deployment as sent; the
 * translation to OpenAI chat drops what it cannot map).
 */

const MAX_MESSAGES = 4096;

const Block = z.looseObject({ type: z.string().min(1) });
const Content = z.union([z.string(), z.array(Block)]);

export const AnthropicMessage = z.looseObject({
  role: z.enum(['user', 'assistant']),
  content: Content,
});

const MessagesBase = {
  model: z.string().min(1, 'model must be a non-empty string').max(256),
  messages: z.array(AnthropicMessage).min(1, 'messages must contain at least one message').max(MAX_MESSAGES),
  system: z.union([z.string(), z.array(Block)]).optional(),
  tools: z.array(z.looseObject({ name: z.string().min(1) })).optional(),
  tool_choice: z.looseObject({ type: z.enum(['auto', 'any', 'tool', 'none']) }).optional(),
};

export const MessagesRequest = z.looseObject({
  ...MessagesBase,
  max_tokens: z.number().int().min(1).max(1_000_000),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  stop_sequences: z.array(z.string()).optional(),
  metadata: z.looseObject({ user_id: z.string().nullable().optional() }).optional(),
});
export type MessagesRequest = z.infer<typeof MessagesRequest>;

export const CountTokensRequest = z.looseObject(MessagesBase);
export type CountTokensRequest = z.infer<typeof CountTokensRequest>;

/** Anthropic's error body: what every failure on the Messages routes looks like. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}
