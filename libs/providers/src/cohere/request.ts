import { Errors } from '@switchyard/contracts';
import { applyParamMap, type ParamMap } from '../param-map.js';
import { isRecord } from '../usage.js';
import { DEFAULT_EMBEDDING_INPUT_TYPE, MAX_EMBED_TEXTS, MAX_STOP_SEQUENCES, type CohereContentPart, type CohereMessage, type CohereToolCall } from './shapes.js';

/*
 * OpenAI chat completions and embeddings -> Cohere API v2, as LiteLLM's
 * CohereV2ChatConfig and CohereEmbeddingConfig map them (litellm/llms/cohere/),
 * with what Cohere's reference refuses caught here as a 400 before any call:
 * `n` > 1 (v2 has no num_generations), parts Cohere cannot read, p outside
 * 0.01..0.99 (OpenAI's default top_p of 1 is clamped), penalties outside 0..1.
 */

const bad = (message: string, param: string | null = null) => Errors.invalidRequest(message, param, 'unsupported_by_provider');

type Part = Record<string, unknown>;

function textParts(content: unknown, at: string): string | Array<{ type: 'text'; text: string }> {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw bad('message content must be a string or a list of parts', at);
  return content.map((raw, i) => {
    const part = raw as Part;
    if (part.type === 'text' && typeof part.text === 'string') return { type: 'text', text: part.text };
    throw bad(`content parts of type "${String(part.type)}" cannot be sent to a Cohere deployment in this message`, `${at}[${i}]`);
  });
}

const isDetail = (value: unknown): value is 'auto' | 'low' | 'high' => value === 'auto' || value === 'low' || value === 'high';

function imagePart(part: Part, at: string): CohereContentPart {
  const image = part.image_url;
  const url = typeof image === 'string' ? image : isRecord(image) && typeof image.url === 'string' ? image.url : null;
  if (url === null) throw bad('an image_url part needs image_url.url', at);
  if (!/^https?:\/\//i.test(url) && !/^data:image\/[a-z0-9.+-]+;base64,/i.test(url)) {
    throw bad('an image_url must be an http(s) URL or a base64 data URL', at);
  }
  const asked = isRecord(image) ? image.detail : undefined;
  const detail = isDetail(asked) ? { detail: asked } : {};
  return { type: 'image_url', image_url: { url, ...detail } };
}

function userContent(content: unknown, at: string): string | CohereContentPart[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw bad('message content must be a string or a list of parts', at);
  return content.map((raw, i): CohereContentPart => {
    const part = raw as Part;
    if (part.type === 'text' && typeof part.text === 'string') return { type: 'text', text: part.text };
    if (part.type === 'image_url') return imagePart(part, `${at}[${i}]`);
    throw bad(`content parts of type "${String(part.type)}" cannot be sent to a Cohere deployment`, `${at}[${i}]`);
  });
}

function isEmpty(content: string | unknown[]): boolean {
  return content.length === 0;
}

function toolCalls(value: unknown, at: string): CohereToolCall[] {
  if (!Array.isArray(value)) return [];
  return value.map((raw, i) => {
    const call = raw as Part;
    const fn = isRecord(call.function) ? call.function : {};
    if (typeof call.id !== 'string' || typeof fn.name !== 'string') throw bad('a tool call needs an id and a function name', `${at}.tool_calls[${i}]`);
    const args = typeof fn.arguments === 'string' && fn.arguments.trim() !== '' ? fn.arguments : '{}';
    return { id: call.id, type: 'function', function: { name: fn.name, arguments: args } };
  });
}

/** OpenAI's messages as Cohere v2's: the same roles (developer is system), OpenAI-shaped tool calls, no `name`. */
export function mapMessages(input: readonly unknown[]): CohereMessage[] {
  const out: CohereMessage[] = [];
  input.forEach((raw, i) => {
    const message = raw as Part;
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        out.push({ role: 'system', content: textParts(message.content, `${at}.content`) });
        break;
      case 'user':
        out.push({ role: 'user', content: userContent(message.content, `${at}.content`) });
        break;
      case 'assistant': {
        const calls = toolCalls(message.tool_calls, at);
        const content = message.content === null || message.content === undefined ? '' : textParts(message.content, `${at}.content`);
        // Cohere refuses an assistant turn that says nothing; OpenAI's null content with no calls says nothing either.
        if (calls.length === 0 && isEmpty(content)) break;
        if (calls.length === 0) {
          out.push({ role: 'assistant', content });
          break;
        }
        // Text beside tool calls is what Cohere itself writes as the tool plan (and the gateway returns as reasoning).
        const plan = typeof content === 'string' ? content : content.map((part) => part.text).join('');
        out.push({ role: 'assistant', tool_calls: calls, ...(plan === '' ? {} : { tool_plan: plan }) });
        break;
      }
      case 'tool':
        if (typeof message.tool_call_id !== 'string') throw bad('a tool message needs tool_call_id', `${at}.tool_call_id`);
        out.push({ role: 'tool', tool_call_id: message.tool_call_id, content: textParts(message.content ?? '', `${at}.content`) });
        break;
      default:
        throw bad(`messages with role "${String(message.role)}" cannot be sent to a Cohere deployment`, `${at}.role`);
    }
  });
  return out;
}

interface FunctionTool {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict: boolean;
}

function functionTools(value: unknown): FunctionTool[] {
  if (!Array.isArray(value)) throw bad('tools must be an array', 'tools');
  return value.map((raw, i) => {
    const tool = raw as Part;
    const fn = isRecord(tool.function) ? tool.function : null;
    if (tool.type !== 'function' || fn === null || typeof fn.name !== 'string') throw bad('only function tools can be sent to a Cohere deployment', `tools[${i}]`);
    return {
      name: fn.name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      parameters: isRecord(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
      strict: fn.strict === true,
    };
  });
}

/**
 * tools and tool_choice together: Cohere v2 has REQUIRED and NONE but no
 * "this function"; forcing one function is REQUIRED with only that function
 * offered, which leaves the model the same one choice.
 */
function toolsAndChoice(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (body.tools === undefined || body.tools === null) {
    if (body.tool_choice !== undefined && body.tool_choice !== null && body.tool_choice !== 'none' && body.tool_choice !== 'auto') {
      throw bad('tool_choice needs tools', 'tool_choice');
    }
    return {};
  }
  let tools = functionTools(body.tools);
  if (tools.length === 0) return {};
  const choice = body.tool_choice;
  let toolChoice: string | undefined;
  if (choice === 'required') toolChoice = 'REQUIRED';
  else if (choice === 'none') toolChoice = 'NONE';
  else if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') {
    const name = choice.function.name;
    tools = tools.filter((tool) => tool.name === name);
    if (tools.length === 0) throw bad(`tool_choice names ${name}, which is not in tools`, 'tool_choice');
    toolChoice = 'REQUIRED';
  } else if (choice !== undefined && choice !== null && choice !== 'auto') {
    throw bad('tool_choice must be "auto", "required", "none" or a function', 'tool_choice');
  }
  return {
    tools: tools.map(({ strict: _strict, ...fn }) => ({ type: 'function', function: fn })),
    // Cohere's strictness is per request: strict when every tool asked for it.
    ...(tools.every((tool) => tool.strict) ? { strict_tools: true } : {}),
    ...(toolChoice === undefined ? {} : { tool_choice: toolChoice }),
  };
}

function responseFormat(value: unknown): Record<string, unknown> {
  if (!isRecord(value) || value.type === 'text') return {};
  if (value.type === 'json_object') return { response_format: { type: 'json_object' } };
  if (value.type === 'json_schema') {
    const schema = isRecord(value.json_schema) && isRecord(value.json_schema.schema) ? value.json_schema.schema : null;
    return { response_format: { type: 'json_object', ...(schema === null ? {} : { json_schema: schema }) } };
  }
  throw bad('response_format must be text, json_object or json_schema', 'response_format');
}

function stopSequences(value: unknown): Record<string, unknown> {
  const list = Array.isArray(value) ? value : [value];
  if (list.length > MAX_STOP_SEQUENCES) throw bad(`a Cohere deployment takes at most ${MAX_STOP_SEQUENCES} stop sequences`, 'stop');
  return { stop_sequences: list };
}

const CHAT_PARAMS: ParamMap = {
  temperature: { min: 0 },
  top_p: { to: 'p', min: 0.01, max: 0.99 },
  frequency_penalty: { min: 0, max: 1 },
  presence_penalty: { min: 0, max: 1 },
  seed: {},
  stop: { transform: stopSequences },
  response_format: { transform: responseFormat },
  stream: {},
};

/** The Cohere v2 chat body of an OpenAI chat body. Fields without a mapping (user, logprobs, parallel_tool_calls) are dropped, as LiteLLM drops them. */
export function chatRequestToCohere(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (typeof body.n === 'number' && body.n > 1) throw bad('a Cohere deployment answers with one choice: n must be 1', 'n');
  const messages = mapMessages(Array.isArray(body.messages) ? body.messages : []);
  if (messages.length === 0) throw bad('a Cohere deployment needs at least one message', 'messages');
  const params = applyParamMap(body, CHAT_PARAMS);
  // Both limits map to one field: the larger wins, as the reservation assumed.
  const asked = [body.max_tokens, body.max_completion_tokens].filter((v): v is number => typeof v === 'number');
  if (asked.length > 0) params.max_tokens = Math.max(...asked);
  if (params.stream !== true) delete params.stream;
  return { model: body.model, messages, ...toolsAndChoice(body), ...params };
}

const INPUT_TYPES = new Set(['search_document', 'search_query', 'classification', 'clustering']);

/** The texts of an embeddings input; token arrays have no Cohere form. */
function textsOf(input: unknown): string[] {
  const list = Array.isArray(input) ? input : [input];
  if (list.some((item) => typeof item !== 'string')) throw bad('a Cohere deployment embeds text: input must be a string or a list of strings', 'input');
  if (list.length > MAX_EMBED_TEXTS) throw bad(`a Cohere deployment embeds at most ${MAX_EMBED_TEXTS} texts per request`, 'input');
  return list as string[];
}

/**
 * OpenAI embeddings -> Cohere v2 embed. Float vectors are always asked for:
 * a client that wants base64 (the OpenAI SDK's default) gets OpenAI's base64,
 * the float32 bytes, built from them (Cohere's own base64 type is another encoding).
 */
export function embeddingsRequestToCohere(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return {
    model: body.model,
    texts: textsOf(body.input),
    // LiteLLM passes a client's input_type through (search_query for queries); its default otherwise.
    input_type: typeof body.input_type === 'string' && INPUT_TYPES.has(body.input_type) ? body.input_type : DEFAULT_EMBEDDING_INPUT_TYPE,
    embedding_types: ['float'],
    ...(typeof body.dimensions === 'number' ? { output_dimension: body.dimensions } : {}),
  };
}
