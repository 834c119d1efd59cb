import { Tiktoken } from 'js-tiktoken/lite';
import cl100kBase from 'js-tiktoken/ranks/cl100k_base';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import type { Deployment } from '@switchyard/config';
import type { Endpoint } from '@switchyard/contracts';

/**
 * Prompt token counts for limit reservations. OpenAI-family models are
 * counted with their real tokenizer (tiktoken's o200k_base or cl100k_base);
 * every other model with the documented approximation of one token per four
 * characters. Either way the limiter settles to the provider's reported
 * usage afterwards, so the count only has to be close.
 */

export type Encoding = 'o200k_base' | 'cl100k_base' | 'approximate';

const O200K_MODELS = /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|chatgpt-4o|o1|o3|o4)/i;
const CL100K_MODELS = /^(gpt-4|gpt-3\.5|gpt-35|text-embedding-(3|ada-002))/i;
const OPENAI_FAMILY = new Set(['openai', 'azure']);

/** Tokens of the chat framing per message, and of the reply priming (OpenAI's cookbook). */
const TOKENS_PER_MESSAGE = 3;
const REPLY_PRIMING = 3;
/** Text beyond this is approximated: an exact count of a huge prompt is not worth its CPU. */
const EXACT_COUNT_LIMIT = 64 * 1024;

const encoders = new Map<Encoding, Tiktoken>();

export function encodingFor(deployment: Pick<Deployment, 'provider' | 'providerModel'>): Encoding {
  if (!OPENAI_FAMILY.has(deployment.provider)) return 'approximate';
  if (O200K_MODELS.test(deployment.providerModel)) return 'o200k_base';
  if (CL100K_MODELS.test(deployment.providerModel)) return 'cl100k_base';
  return 'approximate';
}

function encoder(encoding: Exclude<Encoding, 'approximate'>): Tiktoken {
  let found = encoders.get(encoding);
  if (!found) {
    found = new Tiktoken(encoding === 'o200k_base' ? o200kBase : cl100kBase);
    encoders.set(encoding, found);
  }
  return found;
}

/** Builds an encoder ahead of use: parsing its ranks takes a second or more. */
export function warmTokenizer(encoding: Encoding): void {
  if (encoding !== 'approximate') encoder(encoding);
}

export function countTextTokens(text: string, encoding: Encoding): number {
  if (text.length === 0) return 0;
  if (encoding === 'approximate' || text.length > EXACT_COUNT_LIMIT) return Math.ceil(text.length / 4);
  return encoder(encoding).encode(text).length;
}

export function countPromptTokens(endpoint: Endpoint, body: Record<string, unknown>, encoding: Encoding): number {
  if (endpoint === 'chat.completions') {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    let total = REPLY_PRIMING;
    for (const message of messages as Array<Record<string, unknown>>) {
      total += TOKENS_PER_MESSAGE + countTextTokens(messageText(message), encoding);
      if (typeof message.name === 'string') total += 1;
    }
    return total;
  }
  const input = endpoint === 'completions' ? body.prompt : body.input;
  return countInput(input, encoding);
}

function countInput(input: unknown, encoding: Encoding): number {
  if (typeof input === 'string') return countTextTokens(input, encoding);
  if (!Array.isArray(input)) return 0;
  // A token array is already tokens; an array of strings or of token arrays is a batch.
  if (input.every((item) => typeof item === 'number')) return input.length;
  return input.reduce((sum: number, item) => sum + countInput(item, encoding), 0);
}

function messageText(message: Record<string, unknown>): string {
  const parts: string[] = [];
  const content = message.content;
  if (typeof content === 'string') parts.push(content);
  else if (Array.isArray(content)) {
    for (const part of content as Array<Record<string, unknown>>) if (typeof part.text === 'string') parts.push(part.text);
  }
  if (Array.isArray(message.tool_calls)) parts.push(JSON.stringify(message.tool_calls));
  return parts.join('\n');
}
