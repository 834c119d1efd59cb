import type { Usage } from '@switchyard/contracts';
import { isRecord } from '../usage.js';
import type { CohereChatResponse, CohereUsage } from './shapes.js';

/** Cohere's finish_reason -> OpenAI's (LiteLLM's map_finish_reason). */
export function finishReasonOf(reason: unknown): string | null {
  switch (reason) {
    case 'COMPLETE':
    case 'STOP_SEQUENCE':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'TOOL_CALL':
      return 'tool_calls';
    case null:
    case undefined:
      return null;
    default:
      // ERROR, TIMEOUT and reasons added later: the generation ended.
      return 'stop';
  }
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);

/**
 * Cohere's usage in OpenAI's terms. `tokens` (what the model read and wrote)
 * is what LiteLLM reports and what a token limit is about; `billed_units` (what
 * Cohere charges, without its prompt template) stands in when tokens is absent.
 */
export function usageOfCohere(usage: CohereUsage | null | undefined): Usage | null {
  if (!isRecord(usage)) return null;
  const source = isRecord(usage.tokens) ? usage.tokens : isRecord(usage.billed_units) ? usage.billed_units : null;
  if (source === null) return null;
  const prompt = count(source.input_tokens);
  const completion = count(source.output_tokens);
  const cached = count(usage.cached_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(cached > 0 ? { prompt_tokens_details: { cached_tokens: cached } } : {}),
  };
}

function openAIToolCalls(value: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((call) => {
    const fn = isRecord(call.function) ? call.function : {};
    return {
      id: typeof call.id === 'string' ? call.id : '',
      type: 'function',
      function: { name: typeof fn.name === 'string' ? fn.name : '', arguments: typeof fn.arguments === 'string' ? fn.arguments : '{}' },
    };
  });
}

/**
 * A Cohere v2 chat response as OpenAI's chat.completion. The text parts are
 * the content; thinking parts and the tool plan (the model's note on why it
 * calls tools) are `reasoning_content`, as the gateway reports Anthropic's thinking.
 */
export function cohereChatToOpenAI(json: unknown, model: string, created = Math.floor(Date.now() / 1000)): { body: Record<string, unknown>; usage: Usage | null } {
  const response = (isRecord(json) ? json : {}) as Partial<CohereChatResponse>;
  const message: Partial<CohereChatResponse['message']> = isRecord(response.message) ? response.message : {};
  const parts = Array.isArray(message.content) ? message.content.filter(isRecord) : [];
  const text = parts.map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
  const thinking = parts.map((part) => (part.type === 'thinking' && typeof part.thinking === 'string' ? part.thinking : '')).join('');
  const reasoning = [thinking, typeof message.tool_plan === 'string' ? message.tool_plan : ''].filter((piece) => piece !== '').join('\n');
  const toolCalls = openAIToolCalls(message.tool_calls);
  const usage = usageOfCohere(response.usage);
  const body: Record<string, unknown> = {
    id: typeof response.id === 'string' ? response.id : 'cohere-unknown',
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && toolCalls.length > 0 ? null : text,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          ...(reasoning === '' ? {} : { reasoning_content: reasoning }),
        },
        logprobs: null,
        finish_reason: finishReasonOf(response.finish_reason) ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
      },
    ],
    ...(usage === null ? {} : { usage }),
  };
  return { body, usage };
}

/** The float32 bytes of a vector, base64: what OpenAI sends for `encoding_format: "base64"`. */
function base64Of(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/** A Cohere v2 embed response as OpenAI's embeddings list, in the encoding the client asked for. */
export function cohereEmbedToOpenAI(json: unknown, model: string, encoding: unknown): { body: Record<string, unknown>; usage: Usage | null } {
  const response = isRecord(json) ? json : {};
  const embeddings = isRecord(response.embeddings) ? response.embeddings : {};
  const vectors = Array.isArray(embeddings.float) ? (embeddings.float as unknown[]).filter((v): v is number[] => Array.isArray(v)) : [];
  const meta = isRecord(response.meta) ? response.meta : {};
  const billed = isRecord(meta.billed_units) ? meta.billed_units : {};
  const tokens = isRecord(meta.tokens) ? meta.tokens : {};
  // Embed bills input only; `tokens` appears on some responses, billed_units on all.
  const prompt = count(tokens.input_tokens) || count(billed.input_tokens);
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: 0, total_tokens: prompt };
  const data = vectors.map((vector, index) => ({ object: 'embedding', index, embedding: encoding === 'base64' ? base64Of(vector) : vector }));
  return { body: { object: 'list', data, model, usage: { prompt_tokens: prompt, total_tokens: prompt } }, usage };
}
