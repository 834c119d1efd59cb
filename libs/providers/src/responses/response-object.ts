import { randomBytes } from 'node:crypto';
import type { Usage } from '@switchyard/contracts';
import { isRecord } from '../usage.js';

/*
 * The Response object the gateway writes when it translated the request to
 * chat: what the model wrote, and the request's settings echoed as OpenAI
 * echoes them. Such a response is not stored anywhere (store: false), and
 * its id says so: `resp_sy…` never collides with OpenAI's hex ids, so the
 * ingress can tell a client asking for one that it was never stored.
 */

type Json = Record<string, unknown>;

/** The prefix of ids of responses the gateway translated from chat (OpenAI's are `resp_` and hex). */
export const TRANSLATED_RESPONSE_PREFIX = 'resp_sy';

export const newItemId = (prefix: string): string => `${prefix}_sy${randomBytes(16).toString('hex')}`;
export const newResponseId = (): string => `${TRANSLATED_RESPONSE_PREFIX}${randomBytes(16).toString('hex')}`;

/** OpenAI chat usage in the Responses API's terms. */
export function responsesUsageOf(usage: Usage | null): Json | null {
  if (usage === null) return null;
  const input = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const output = isRecord(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: typeof input.cached_tokens === 'number' ? input.cached_tokens : 0, cache_write_tokens: 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: typeof output.reasoning_tokens === 'number' ? output.reasoning_tokens : 0 },
    total_tokens: usage.total_tokens,
  };
}

/** The client's function tools as a Response echoes them (strict and parameters always present). */
function echoedTools(tools: unknown): Json[] {
  if (!Array.isArray(tools)) return [];
  return (tools as Json[]).map((tool) => ({
    type: 'function',
    name: tool.name,
    description: tool.description ?? null,
    parameters: tool.parameters ?? null,
    strict: tool.strict ?? true,
  }));
}

export interface ResponseState {
  id: string;
  createdAt: number;
  model: string;
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  output: Json[];
  usage: Usage | null;
  incompleteReason?: 'max_output_tokens' | 'content_filter';
}

/** A Response object for the client's request (`clientBody`, the Responses API body it sent). */
export function responseObject(clientBody: Readonly<Json>, state: ResponseState): Json {
  const text = isRecord(clientBody.text) && isRecord(clientBody.text.format) ? clientBody.text : { format: { type: 'text' } };
  const out: Json = {
    id: state.id,
    object: 'response',
    created_at: state.createdAt,
    status: state.status,
    completed_at: state.status === 'completed' ? Math.floor(Date.now() / 1000) : null,
    error: null,
    incomplete_details: state.incompleteReason === undefined ? null : { reason: state.incompleteReason },
    instructions: typeof clientBody.instructions === 'string' ? clientBody.instructions : null,
    max_output_tokens: clientBody.max_output_tokens ?? null,
    model: state.model,
    output: state.output,
    parallel_tool_calls: clientBody.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: isRecord(clientBody.reasoning) ? (clientBody.reasoning.effort ?? null) : null, summary: null },
    // Translated from chat: nothing stores it.
    store: false,
    temperature: clientBody.temperature ?? 1,
    text,
    tool_choice: clientBody.tool_choice ?? 'auto',
    tools: echoedTools(clientBody.tools),
    top_p: clientBody.top_p ?? 1,
    truncation: 'disabled',
    metadata: clientBody.metadata ?? {},
  };
  // The spec has no null usage: a response still in progress has none yet.
  const usage = responsesUsageOf(state.usage);
  if (usage !== null) out.usage = usage;
  if (typeof clientBody.user === 'string') out.user = clientBody.user;
  return out;
}

export function messageItem(id: string, text: string, status: 'in_progress' | 'completed' | 'incomplete'): Json {
  return { id, type: 'message', status, role: 'assistant', content: text === '' && status === 'in_progress' ? [] : [outputText(text)] };
}

export function outputText(text: string): Json {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

export function functionCallItem(id: string, callId: string, name: string, args: string, status: 'in_progress' | 'completed'): Json {
  return { id, type: 'function_call', status, call_id: callId, name, arguments: args };
}

/** Chat's finish_reason as the Response's status. */
export function statusOf(finish: unknown): Pick<ResponseState, 'status' | 'incompleteReason'> {
  if (finish === 'length') return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
  if (finish === 'content_filter') return { status: 'incomplete', incompleteReason: 'content_filter' };
  return { status: 'completed' };
}
