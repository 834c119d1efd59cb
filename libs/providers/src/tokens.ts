import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import type { Deployment } from '@switchyard/config';
import type { Endpoint } from '@switchyard/contracts';

/**
 * Prompt token counts for limit reservations. OpenAI-family models are
 * counted with their real tokenizer (o200k_base or cl100k_base, tiktoken's
 * ranks); every other model with the documented approximation of one token
 * per four characters. The limiter settles to the provider's reported usage
 * afterwards, so the count has to be close, and above all it has to be cheap:
 * it runs on the ingress's event loop, for text a client chose.
 *
 * BPE costs grow with the square of a pre-token's length (one 10,000-letter
 * word took 16 s), so no piece longer than MAX_BPE_PIECE_CHARS reaches the
 * BPE: longer ones are cut into chunks of that size and counted chunk by
 * chunk (a cut can only add a token or so per chunk, and ordinary words,
 * numbers and code never get near the bound). The exact count also has a
 * per-request CPU budget: text beyond it counts as its UTF-8 byte length,
 * which no BPE count exceeds (every token is at least one byte), so the
 * reservation stays an upper bound however the input was built.
 */

export type Encoding = 'o200k_base' | 'cl100k_base' | 'approximate';

const O200K_MODELS = /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|chatgpt-4o|o1|o3|o4)/i;
const CL100K_MODELS = /^(gpt-4|gpt-3\.5|gpt-35|text-embedding-(3|ada-002))/i;
const OPENAI_FAMILY = new Set(['openai', 'azure']);

/** Tokens of the chat framing per message, and of the reply priming (OpenAI's cookbook). */
const TOKENS_PER_MESSAGE = 3;
const REPLY_PRIMING = 3;
/** Framing of a tool or function definition (the model sees them rendered as a typed namespace). */
const TOKENS_PER_TOOL = 8;

/** The longest pre-token handed to the BPE, in UTF-16 code units. */
export const MAX_BPE_PIECE_CHARS = 64;
/** Ordinary text is handed to the BPE in segments of about this size, so the budget is checked often. */
const SEGMENT_CHARS = 4096;
/**
 * CPU one request's exact count may use; the rest is bounded by its byte
 * length. A clock, not a character count, because the cost per character
 * differs a hundredfold between prose (mostly whole-word tokens) and random
 * text; ordinary prompts of tens of KiB finish well inside it.
 */
const EXACT_BUDGET_MS = 25;
/** Text of one field beyond this is bounded by its byte length without being scanned. */
const EXACT_MAX_CHARS = 1024 * 1024;

type BpeCounter = (text: string) => number;

/** Special-token text (`<|endoftext|>`) in a prompt is plain text to count, never a reason to throw. */
const NO_SPECIAL = { disallowedSpecial: new Set<string>() };

const tokenizers: Record<Exclude<Encoding, 'approximate'>, { split: RegExp; bpe: BpeCounter }> = {
  o200k_base: { split: O200K_TOKEN_SPLIT_REGEX, bpe: (text) => countO200k(text, NO_SPECIAL) },
  cl100k_base: { split: CL100K_TOKEN_SPLIT_REGEX, bpe: (text) => countCl100k(text, NO_SPECIAL) },
};

/** How tests watch what reaches the BPE (the structural bound); nothing else sets it. */
let bpeObserver: ((text: string) => void) | null = null;
export function observeBpeInput(observer: ((text: string) => void) | null): void {
  bpeObserver = observer;
}

/** Time left for exact counting in one request; shared by all the texts of its body. */
export class CountBudget {
  readonly #deadline: number;
  constructor(budgetMs = EXACT_BUDGET_MS) {
    this.#deadline = performance.now() + budgetMs;
  }
  get exhausted(): boolean {
    return performance.now() >= this.#deadline;
  }
}

export function encodingFor(deployment: Pick<Deployment, 'provider' | 'providerModel'>): Encoding {
  if (!OPENAI_FAMILY.has(deployment.provider)) return 'approximate';
  if (O200K_MODELS.test(deployment.providerModel)) return 'o200k_base';
  if (CL100K_MODELS.test(deployment.providerModel)) return 'cl100k_base';
  return 'approximate';
}

/** Builds an encoder ahead of use: its ranks are loaded on the first count, which takes a while. */
export function warmTokenizer(encoding: Encoding): void {
  if (encoding !== 'approximate') tokenizers[encoding].bpe('warm up');
}

export function countTextTokens(text: string, encoding: Encoding, budget: CountBudget = new CountBudget()): number {
  if (text.length === 0) return 0;
  if (encoding === 'approximate') return Math.ceil(text.length / 4);
  const { split, bpe } = tokenizers[encoding];
  const exactPart = text.length > EXACT_MAX_CHARS ? text.slice(0, EXACT_MAX_CHARS) : text;
  let total = exactPart.length < text.length ? utf8Bytes(text.slice(EXACT_MAX_CHARS)) : 0;
  const count = (segment: string): number => {
    if (segment.length === 0) return 0;
    if (budget.exhausted) return utf8Bytes(segment);
    bpeObserver?.(segment);
    return bpe(segment);
  };
  // Windows are cut between two words, where a pre-token boundary already is; only a window
  // holding a long run of one kind of character can hold an overlong pre-token.
  for (const window of windowsOf(exactPart)) {
    if (budget.exhausted) {
      total += utf8Bytes(window);
      continue;
    }
    if (!LONG_RUN.test(window)) {
      total += count(window);
      continue;
    }
    for (const piece of window.matchAll(new RegExp(split.source, split.flags))) {
      if (piece[0].length <= MAX_BPE_PIECE_CHARS) total += count(piece[0]);
      else for (const chunk of chunksOf(piece[0], MAX_BPE_PIECE_CHARS)) total += count(chunk);
    }
  }
  return total;
}

/** Runs of MAX_BPE_PIECE_CHARS characters of one kind (no pre-token crosses from space to non-space and back). */
const LONG_RUN = new RegExp(`\\S{${MAX_BPE_PIECE_CHARS},}|\\s{${MAX_BPE_PIECE_CHARS},}`, 'u');

/** Consecutive slices of about SEGMENT_CHARS, cut before the space of a word boundary when there is one. */
function* windowsOf(text: string): Generator<string> {
  let start = 0;
  while (text.length - start > SEGMENT_CHARS) {
    let cut = text.lastIndexOf(' ', start + SEGMENT_CHARS);
    while (cut > start && !(isWordChar(text, cut - 1) && isWordChar(text, cut + 1))) cut = text.lastIndexOf(' ', cut - 1);
    if (cut <= start) cut = start + SEGMENT_CHARS;
    if (isLowSurrogate(text.charCodeAt(cut))) cut -= 1;
    yield text.slice(start, cut);
    start = cut;
  }
  if (start < text.length) yield text.slice(start);
}

function isWordChar(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return index >= 0 && index < text.length && code !== 32 && code !== 9 && code !== 10 && code !== 13;
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Cuts a string into pieces of at most `size` code units without splitting a surrogate pair. */
function* chunksOf(text: string, size: number): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end -= 1;
    yield text.slice(start, end);
    start = end;
  }
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * The prompt tokens of a request: every text that reaches the model, not
 * only the messages. Tools, functions, a forced tool choice, a JSON schema
 * response format and a predicted output are all read by the model (and
 * billed as prompt by the provider), so a prompt hidden in a tool description
 * is counted like one in a message.
 */
export function countPromptTokens(
  endpoint: Endpoint,
  body: Record<string, unknown>,
  encoding: Encoding,
  budget: CountBudget = new CountBudget(),
): number {
  const text = (value: string) => countTextTokens(value, encoding, budget);
  if (endpoint === 'chat.completions') {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    let total = REPLY_PRIMING;
    for (const message of messages as Array<Record<string, unknown>>) {
      total += TOKENS_PER_MESSAGE + text(messageText(message));
      if (typeof message.name === 'string') total += 1;
    }
    return total + countModelInputs(body, text);
  }
  if (endpoint === 'messages') return countMessagesPrompt(body, text);
  if (endpoint === 'responses') return countResponsesPrompt(body, text);
  const input = endpoint === 'completions' ? body.prompt : body.input;
  let total = countInput(input, text);
  if (endpoint === 'completions' && typeof body.suffix === 'string') total += text(body.suffix);
  return total;
}

/** Fields besides the messages whose text the model reads. */
const MODEL_INPUT_FIELDS = ['tools', 'functions', 'tool_choice', 'function_call', 'response_format', 'prediction'] as const;

function countModelInputs(body: Record<string, unknown>, text: (value: string) => number): number {
  let total = 0;
  for (const field of MODEL_INPUT_FIELDS) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    // A tool_choice of "auto"/"none" is a switch, not text the model reads.
    if (typeof value === 'string' && (field === 'tool_choice' || field === 'function_call')) continue;
    total += text(typeof value === 'string' ? value : JSON.stringify(value));
    if ((field === 'tools' || field === 'functions') && Array.isArray(value)) total += TOKENS_PER_TOOL * value.length;
  }
  return total;
}

function countInput(input: unknown, text: (value: string) => number): number {
  if (typeof input === 'string') return text(input);
  if (!Array.isArray(input)) return 0;
  // A token array is already tokens; an array of strings or of token arrays is a batch.
  if (input.every((item) => typeof item === 'number')) return input.length;
  return input.reduce((sum: number, item) => sum + countInput(item, text), 0);
}

/**
 * Anthropic's messages: the system prompt, each block's text, and blocks that
 * are not text (tool uses and results, images' sources) as their JSON, an
 * upper bound of what the model reads of them.
 */
function countMessagesPrompt(body: Record<string, unknown>, text: (value: string) => number): number {
  let total = REPLY_PRIMING;
  const blockText = (content: unknown): string => {
    if (typeof content === 'string') return content;
    if (!Array.isArray(content)) return '';
    return (content as Array<Record<string, unknown>>)
      .map((block) => (block.type === 'text' && typeof block.text === 'string' ? block.text : block.type === 'image' ? '' : JSON.stringify(block)))
      .join('\n');
  };
  if (body.system !== undefined) total += TOKENS_PER_MESSAGE + text(blockText(body.system));
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  for (const message of messages) total += TOKENS_PER_MESSAGE + text(blockText(message.content));
  return total + countModelInputs(body, text);
}

/**
 * The Responses API: the instructions, each input item's text (a message's
 * parts, a function call's name and arguments, a function output), and the
 * tools and output format the model reads. A `previous_response_id`'s stored
 * conversation is not in the body: the estimate misses it and settlement
 * corrects to the provider's count.
 */
function countResponsesPrompt(body: Record<string, unknown>, text: (value: string) => number): number {
  let total = REPLY_PRIMING;
  if (typeof body.instructions === 'string') total += TOKENS_PER_MESSAGE + text(body.instructions);
  const input = body.input;
  if (typeof input === 'string') total += TOKENS_PER_MESSAGE + text(input);
  else if (Array.isArray(input)) for (const item of input as Array<Record<string, unknown>>) total += TOKENS_PER_MESSAGE + text(inputItemText(item));
  const format = isRecordValue(body.text) ? body.text.format : undefined;
  return total + countModelInputs({ tools: body.tools, tool_choice: body.tool_choice, response_format: format }, text);
}

const isRecordValue = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function inputItemText(item: Record<string, unknown>): string {
  switch (item.type ?? 'message') {
    case 'message':
      return messageText(item);
    case 'function_call':
      return `${String(item.name)}\n${String(item.arguments)}`;
    case 'function_call_output':
      return typeof item.output === 'string' ? item.output : JSON.stringify(item.output);
    default:
      return JSON.stringify(item);
  }
}

function messageText(message: Record<string, unknown>): string {
  const parts: string[] = [];
  const content = message.content;
  if (typeof content === 'string') parts.push(content);
  else if (Array.isArray(content)) {
    for (const part of content as Array<Record<string, unknown>>) if (typeof part.text === 'string') parts.push(part.text);
  }
  if (Array.isArray(message.tool_calls)) parts.push(JSON.stringify(message.tool_calls));
  if (message.function_call !== undefined && message.function_call !== null) parts.push(JSON.stringify(message.function_call));
  return parts.join('\n');
}
