import type { Usage } from '@switchyard/contracts';
import { isRecord, usageFrom } from '../usage.js';
import { functionCallItem, messageItem, newItemId, newResponseId, responseObject, statusOf } from './response-object.js';

type Json = Record<string, unknown>;

/** An OpenAI chat completion (its first choice) as a Response to the client's Responses API request. */
export function chatResponseToResponse(json: unknown, clientBody: Readonly<Json>): { body: Json; usage: Usage | null } {
  const completion = isRecord(json) ? json : {};
  const choice = Array.isArray(completion.choices) && isRecord(completion.choices[0]) ? completion.choices[0] : {};
  const message = isRecord(choice.message) ? choice.message : {};
  const state = statusOf(choice.finish_reason);
  const output: Json[] = [];
  const text = typeof message.content === 'string' ? message.content : typeof message.refusal === 'string' ? message.refusal : '';
  if (text !== '') output.push(messageItem(newItemId('msg'), text, state.status === 'completed' ? 'completed' : 'incomplete'));
  for (const call of Array.isArray(message.tool_calls) ? (message.tool_calls as Json[]) : []) {
    const fn = isRecord(call.function) ? call.function : {};
    output.push(functionCallItem(newItemId('fc'), String(call.id), String(fn.name ?? ''), String(fn.arguments ?? ''), 'completed'));
  }
  const usage = usageFrom(completion);
  const created = typeof completion.created === 'number' ? completion.created : Math.floor(Date.now() / 1000);
  const model = typeof completion.model === 'string' ? completion.model : String(clientBody.model);
  return { body: responseObject(clientBody, { id: newResponseId(), createdAt: created, model, output, usage, ...state }), usage };
}
