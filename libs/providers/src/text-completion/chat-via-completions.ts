import { Errors, type Usage } from '@switchyard/contracts';
import { applyParamMap, type ParamMap } from '../param-map.js';
import type { EndpointTransforms, RawSseEvent, StreamTranslator } from '../transforms.js';
import { ProviderStreamError, type StreamEvent } from '../types.js';
import { isRecord, usageFrom } from '../usage.js';

/*
 * A chat request served by a completions-only model (LiteLLM's
 * `text-completion-openai/`, e.g. gpt-3.5-turbo-instruct): the messages become
 * one prompt, the completion's text the assistant's message, streams included
 * (litellm/llms/openai/completion/transformation.py).
 *
 * One deliberate difference from LiteLLM: LiteLLM sends several messages as a
 * list of prompts (llms/openai/completion/utils.py _transform_prompt), which
 * the completions API answers with one choice per message, each generated and
 * billed, and choice 0 completes only the first message (often the system
 * prompt). Here the messages' texts are joined into the one prompt the client
 * meant, so a chat request is one generation and choice 0 answers the conversation.
 */

const bad = (message: string, param: string | null = null) => Errors.invalidRequest(message, param, 'unsupported_by_provider');

const CANNOT_SEND = ['tools', 'tool_choice', 'functions', 'function_call', 'logprobs', 'top_logprobs', 'audio', 'modalities', 'prediction'] as const;

function textOf(content: unknown, at: string): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw bad('message content must be a string or a list of parts', at);
  return content
    .map((part: unknown, i) => {
      if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
      const type = isRecord(part) ? String(part.type) : typeof part;
      throw bad(`content parts of type "${type}" cannot be sent to a text-completion deployment (its prompt is text)`, `${at}[${i}]`);
    })
    .join('');
}

/** The messages' texts as one prompt. Tool turns have no text-completion form. */
export function promptOfMessages(messages: readonly unknown[]): string {
  const texts = messages.map((raw, i) => {
    const message = isRecord(raw) ? raw : {};
    const at = `messages[${i}]`;
    if (message.role === 'tool' || message.role === 'function' || (Array.isArray(message.tool_calls) && message.tool_calls.length > 0)) {
      throw bad('tool calls and tool results cannot be sent to a text-completion deployment', at);
    }
    return textOf(message.content, `${at}.content`);
  });
  return texts.filter((text) => text !== '').join('\n\n');
}

const PARAMS: ParamMap = {
  temperature: {},
  top_p: {},
  n: {},
  stop: {},
  presence_penalty: {},
  frequency_penalty: {},
  logit_bias: {},
  seed: {},
  user: {},
  stream: {},
  stream_options: {},
};

/** The completions body of a chat body (the deployment's model and defaults are applied after, as for /v1/completions). */
export function chatRequestToCompletion(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  for (const field of CANNOT_SEND) {
    if (body[field] !== undefined && body[field] !== null && body[field] !== false) {
      throw bad(`${field} cannot be sent to a text-completion deployment`, field);
    }
  }
  if (isRecord(body.response_format) && body.response_format.type !== 'text') {
    throw bad('response_format cannot be sent to a text-completion deployment', 'response_format');
  }
  const prompt = promptOfMessages(Array.isArray(body.messages) ? body.messages : []);
  const params = applyParamMap(body, PARAMS);
  // Both limits map to one field: the larger wins, as the reservation assumed.
  const asked = [body.max_tokens, body.max_completion_tokens].filter((v): v is number => typeof v === 'number');
  if (asked.length > 0) params.max_tokens = Math.max(...asked);
  return { model: body.model, prompt, ...params };
}

function chatChoice(choice: Record<string, unknown>, index: number): Record<string, unknown> {
  return {
    index: typeof choice.index === 'number' ? choice.index : index,
    message: { role: 'assistant', content: typeof choice.text === 'string' ? choice.text : '', refusal: null },
    logprobs: null,
    finish_reason: typeof choice.finish_reason === 'string' ? choice.finish_reason : 'stop',
  };
}

/** A text_completion as a chat.completion. */
export function completionToChatResponse(json: unknown): { body: Record<string, unknown>; usage: Usage | null } {
  const completion = isRecord(json) ? json : {};
  const choices = Array.isArray(completion.choices) ? completion.choices.filter(isRecord) : [];
  const usage = usageFrom(completion);
  const body: Record<string, unknown> = {
    id: typeof completion.id === 'string' ? completion.id : 'cmpl-unknown',
    object: 'chat.completion',
    created: typeof completion.created === 'number' ? completion.created : Math.floor(Date.now() / 1000),
    model: typeof completion.model === 'string' ? completion.model : '',
    choices: choices.map(chatChoice),
    ...(typeof completion.system_fingerprint === 'string' ? { system_fingerprint: completion.system_fingerprint } : {}),
    ...(isRecord(completion.usage) ? { usage: completion.usage } : {}),
  };
  return { body, usage };
}

const DONE: StreamEvent = Object.freeze({ data: '[DONE]', usage: null, usageOnly: false });

/** text_completion stream chunks -> chat.completion.chunk, one event at a time. */
export class CompletionToChatStream implements StreamTranslator {
  readonly #deploymentId: string;
  readonly #started = new Set<number>();
  #done = false;

  constructor(deploymentId: string) {
    this.#deploymentId = deploymentId;
  }

  push(event: RawSseEvent): StreamEvent[] {
    if (event.data === '[DONE]') {
      this.#done = true;
      return [DONE];
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(event.data);
    } catch {
      throw new ProviderStreamError('invalid_response', this.#deploymentId, `deployment ${this.#deploymentId} sent a stream event that is not JSON`);
    }
    if (!isRecord(chunk)) return [];
    if (isRecord(chunk.error)) {
      throw new ProviderStreamError('connection_error', this.#deploymentId, `deployment ${this.#deploymentId} ended its stream with an error`);
    }
    const choices = (Array.isArray(chunk.choices) ? chunk.choices.filter(isRecord) : []).map((choice, i) => {
      const index = typeof choice.index === 'number' ? choice.index : i;
      const text = typeof choice.text === 'string' ? choice.text : '';
      const first = !this.#started.has(index);
      this.#started.add(index);
      const delta = first ? { role: 'assistant', content: text } : text === '' ? {} : { content: text };
      return { index, delta, logprobs: null, finish_reason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null };
    });
    const usage = usageFrom(chunk);
    const payload = {
      id: chunk.id,
      object: 'chat.completion.chunk',
      created: chunk.created,
      model: chunk.model,
      ...(typeof chunk.system_fingerprint === 'string' ? { system_fingerprint: chunk.system_fingerprint } : {}),
      choices,
      ...(usage === null ? {} : { usage: chunk.usage }),
    };
    return [{ data: JSON.stringify(payload), usage, usageOnly: usage !== null && choices.length === 0 }];
  }

  end(): StreamEvent[] {
    // A stream that closed without OpenAI's terminator was cut short, even if the socket closed cleanly.
    if (!this.#done) throw new ProviderStreamError('connection_error', this.#deploymentId, `the stream of deployment ${this.#deploymentId} ended before [DONE]`);
    return [];
  }
}

/** OpenAI's chat completions served by a completions-only deployment, through its /v1/completions. */
export const CHAT_VIA_COMPLETIONS: EndpointTransforms = {
  via: 'completions',
  request: (body) => chatRequestToCompletion(body),
  response: (json) => completionToChatResponse(json),
  stream: (ctx) => new CompletionToChatStream(ctx.deployment.id),
};
