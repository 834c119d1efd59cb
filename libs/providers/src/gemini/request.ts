import { Errors } from '@switchyard/contracts';
import { applyParamMap, type ParamMap } from '../param-map.js';
import { isRecord } from '../usage.js';
import { toGeminiSchema } from './schema.js';
import { THINKING_BUDGET, thoughtSignatureOf, type GeminiContent, type GeminiPart, type GeminiRole } from './shapes.js';

/*
 * OpenAI chat completions -> Gemini generateContent, as LiteLLM maps it
 * (litellm/llms/vertex_ai/gemini/transformation.py and
 * vertex_and_google_ai_studio_gemini.py): system and developer messages
 * become `systemInstruction`, assistant turns `model` contents with
 * functionCall parts, tool results user functionResponse parts, images
 * inlineData (data: URLs) or fileData (URLs the provider fetches itself);
 * consecutive turns of one role merge, as Gemini wants turns to alternate.
 */

const bad = (message: string, param: string | null = null) => Errors.invalidRequest(message, param, 'unsupported_by_provider');

type Part = Record<string, unknown>;

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

/** MIME types Gemini reads from a file URL, by extension (it needs one for fileData). */
const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', heif: 'image/heif',
  pdf: 'application/pdf', mp3: 'audio/mp3', wav: 'audio/wav', mp4: 'video/mp4', txt: 'text/plain',
};

function mediaPart(url: string, format: unknown, at: string): GeminiPart {
  const data = DATA_URL.exec(url);
  if (data !== null) return { inlineData: { mimeType: data[1]!, data: data[2]! } };
  if (!/^(https?|gs):\/\//i.test(url)) throw bad('an image_url must be an http(s) or gs:// URL or a base64 data URL', at);
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase();
  const mimeType = typeof format === 'string' ? format : extension === undefined ? undefined : MIME_BY_EXTENSION[extension];
  // The gateway never fetches a client's URL (it would be a way into the gateway's network): Gemini fetches it, and needs its type.
  if (mimeType === undefined) throw bad('the MIME type of this URL cannot be told from its name: set image_url.format (e.g. "image/png") or send a base64 data URL', at);
  return { fileData: { mimeType, fileUri: url } };
}

function userParts(content: unknown, at: string): GeminiPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) return [];
  return content.map((raw, i): GeminiPart => {
    const part = raw as Part;
    const where = `${at}[${i}]`;
    if (part.type === 'text') return { text: String(part.text ?? '') };
    if (part.type === 'image_url') {
      const image = part.image_url;
      const url = typeof image === 'string' ? image : isRecord(image) && typeof image.url === 'string' ? image.url : null;
      if (url === null) throw bad('an image_url part needs image_url.url', where);
      return mediaPart(url, isRecord(image) ? image.format : undefined, where);
    }
    if (part.type === 'input_audio' && isRecord(part.input_audio) && typeof part.input_audio.data === 'string') {
      return { inlineData: { mimeType: `audio/${String(part.input_audio.format ?? 'wav')}`, data: part.input_audio.data } };
    }
    if (part.type === 'file' && isRecord(part.file) && typeof part.file.file_data === 'string') {
      return mediaPart(part.file.file_data, part.file.format, where);
    }
    throw bad(`content parts of type "${String(part.type)}" cannot be sent to a Gemini deployment`, where);
  });
}

function parseArguments(text: unknown, at: string): Record<string, unknown> {
  if (typeof text !== 'string' || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad('tool call arguments must be JSON', at);
  }
  if (!isRecord(parsed)) throw bad('tool call arguments must be a JSON object', at);
  return parsed;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: Part) => (part.type === 'text' ? String(part.text ?? '') : '')).join('');
}

export interface MappedContents {
  systemInstruction: { parts: Array<{ text: string }> } | null;
  contents: GeminiContent[];
}

export function mapMessages(input: readonly unknown[]): MappedContents {
  const system: Array<{ text: string }> = [];
  const contents: GeminiContent[] = [];
  // functionResponse needs the function's name; OpenAI's tool message has only the call's id.
  const callNames = new Map<string, string>();
  const push = (role: GeminiRole, parts: GeminiPart[]) => {
    const last = contents.at(-1);
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  input.forEach((raw, i) => {
    const message = raw as Part;
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content);
        if (text !== '') system.push({ text });
        break;
      }
      case 'user':
        push('user', userParts(message.content, `${at}.content`));
        break;
      case 'assistant': {
        const parts: GeminiPart[] = [];
        const text = textOf(message.content);
        if (text !== '') parts.push({ text });
        const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as Part[]) : [];
        calls.forEach((call, j) => {
          const fn = isRecord(call.function) ? call.function : {};
          if (typeof fn.name !== 'string') throw bad('a tool call needs a function name', `${at}.tool_calls[${j}]`);
          if (typeof call.id === 'string') callNames.set(call.id, fn.name);
          const signature = thoughtSignatureOf(call.id);
          parts.push({
            functionCall: { name: fn.name, args: parseArguments(fn.arguments, `${at}.tool_calls[${j}].function.arguments`) },
            ...(signature === null ? {} : { thoughtSignature: signature }),
          });
        });
        push('model', parts);
        break;
      }
      case 'tool': {
        const name = typeof message.tool_call_id === 'string' ? callNames.get(message.tool_call_id) : undefined;
        if (name === undefined) throw bad('a tool message must answer a tool call of an earlier assistant message (tool_call_id)', `${at}.tool_call_id`);
        push('user', [{ functionResponse: { name, response: { content: textOf(message.content) } } }]);
        break;
      }
      default:
        throw bad(`messages with role "${String(message.role)}" cannot be sent to a Gemini deployment`, `${at}.role`);
    }
  });
  // Gemini refuses a content without parts (an assistant turn with null content says nothing).
  const nonEmpty = contents.filter((content) => content.parts.length > 0);
  return { systemInstruction: system.length > 0 ? { parts: system } : null, contents: nonEmpty };
}

function tools(value: unknown): Record<string, unknown> {
  if (!Array.isArray(value)) throw bad('tools must be an array', 'tools');
  const declarations = value.map((tool: Part, i) => {
    const fn = isRecord(tool.function) ? tool.function : null;
    if (tool.type !== 'function' || fn === null || typeof fn.name !== 'string') throw bad('only function tools can be sent to a Gemini deployment', `tools[${i}]`);
    const parameters = isRecord(fn.parameters) ? toGeminiSchema(fn.parameters) : null;
    // A function without arguments has no parameters: Gemini refuses an object schema without properties.
    const takesArguments = parameters !== null && !(parameters.type === 'object' && parameters.properties === undefined);
    return {
      name: fn.name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      ...(takesArguments ? { parameters } : {}),
    };
  });
  return declarations.length === 0 ? {} : { tools: [{ functionDeclarations: declarations }] };
}

function toolChoice(value: unknown): Record<string, unknown> {
  const config = (mode: string, names?: string[]) => ({ toolConfig: { functionCallingConfig: { mode, ...(names === undefined ? {} : { allowedFunctionNames: names }) } } });
  if (value === 'auto') return config('AUTO');
  if (value === 'required') return config('ANY');
  if (value === 'none') return config('NONE');
  if (isRecord(value) && isRecord(value.function) && typeof value.function.name === 'string') return config('ANY', [value.function.name]);
  throw bad('tool_choice must be "auto", "required", "none" or a function', 'tool_choice');
}

function responseFormat(value: unknown): Record<string, unknown> {
  if (!isRecord(value) || value.type === 'text') return {};
  if (value.type === 'json_object') return { responseMimeType: 'application/json' };
  if (value.type === 'json_schema') {
    const schema = isRecord(value.json_schema) ? value.json_schema.schema : undefined;
    return { responseMimeType: 'application/json', ...(isRecord(schema) ? { responseSchema: toGeminiSchema(schema) } : {}) };
  }
  throw bad('response_format.type must be text, json_object or json_schema', 'response_format');
}

function thinking(value: unknown): Record<string, unknown> {
  if (value === 'none') return { thinkingConfig: { thinkingBudget: 0 } };
  const budget = typeof value === 'string' ? THINKING_BUDGET[value] : undefined;
  if (budget === undefined) throw bad('reasoning_effort must be one of minimal, low, medium, high, none', 'reasoning_effort');
  return { thinkingConfig: { thinkingBudget: budget, includeThoughts: true } };
}

const count = (value: unknown, name: string): number => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw bad(`${name} must be a positive integer`, name);
  return value;
};

/** OpenAI parameters -> generationConfig fields. */
const GENERATION_PARAMS: ParamMap = {
  temperature: {},
  top_p: { to: 'topP' },
  top_k: { to: 'topK' },
  // Both map to one field; the larger wins below, as the limiter's reservation assumed.
  max_tokens: { transform: () => ({}) },
  max_completion_tokens: { transform: () => ({}) },
  n: { transform: (value) => ({ candidateCount: count(value, 'n') }) },
  stop: { transform: (value) => ({ stopSequences: Array.isArray(value) ? value : [value] }) },
  seed: {},
  presence_penalty: { to: 'presencePenalty' },
  frequency_penalty: { to: 'frequencyPenalty' },
  logprobs: { to: 'responseLogprobs' },
  top_logprobs: { to: 'logprobs' },
  response_format: { transform: responseFormat },
  reasoning_effort: { transform: thinking },
};

/** Top-level request fields, OpenAI's and the Gemini ones LiteLLM passes through. */
const REQUEST_PARAMS: ParamMap = {
  tools: { transform: tools },
  tool_choice: { transform: toolChoice },
  safety_settings: { to: 'safetySettings' },
  cached_content: { to: 'cachedContent' },
};

/**
 * OpenAI parameters Gemini has no counterpart for: refused with a 400 that
 * names them, or dropped with drop_params, as LiteLLM does
 * (UnsupportedParamsError). Bookkeeping fields that change nothing in the
 * answer (user, metadata, store, parallel_tool_calls, service_tier) are
 * dropped silently.
 */
const UNSUPPORTED = ['logit_bias', 'functions', 'function_call', 'prediction', 'audio', 'modalities', 'web_search_options', 'verbosity'] as const;

export interface GeminiRequestOptions {
  dropParams: boolean;
  /** The deployment's safety_settings (litellm_params), used when the client sends none. */
  safetySettings?: unknown;
}

/** The generateContent body of an OpenAI chat body (its `model` goes in the URL). */
export function chatRequestToGemini(body: Readonly<Record<string, unknown>>, options: GeminiRequestOptions): Record<string, unknown> {
  const refused = UNSUPPORTED.filter((name) => body[name] !== undefined && body[name] !== null);
  if (refused.length > 0 && !options.dropParams) {
    throw bad(`a Gemini deployment does not take ${refused.join(', ')} (set drop_params to drop ${refused.length === 1 ? 'it' : 'them'})`, refused[0]!);
  }
  const { systemInstruction, contents } = mapMessages(Array.isArray(body.messages) ? body.messages : []);
  if (contents.length === 0) throw bad('a Gemini deployment needs at least one user or assistant message', 'messages');
  const generationConfig = applyParamMap(body, GENERATION_PARAMS);
  const asked = [body.max_tokens, body.max_completion_tokens].filter((v): v is number => typeof v === 'number');
  if (asked.length > 0) generationConfig.maxOutputTokens = Math.max(...asked);
  const request = applyParamMap(body, REQUEST_PARAMS);
  if (request.safetySettings === undefined && Array.isArray(options.safetySettings)) request.safetySettings = options.safetySettings;
  return {
    contents,
    ...(systemInstruction === null ? {} : { systemInstruction }),
    ...request,
    ...(Object.keys(generationConfig).length > 0 ? { generationConfig } : {}),
  };
}
