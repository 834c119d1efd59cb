import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deployment } from '@switchyard/config';
import type { Usage } from '@switchyard/contracts';
import { cancelledFailure } from './failures.js';
import { buildProviderBody } from './request.js';
import { toStreamEvent } from './sse.js';
import { ProviderStreamError, type ProviderCall, type ProviderResponse, type StreamEvent } from './types.js';

/*
 * The built-in `mock` provider: no HTTP, deterministic replies in OpenAI's
 * shapes, returned through the same union as a real call so that nothing
 * downstream can tell the difference. It lets the default config and demos
 * run without a key. Cross-service tests use test/harness/mock-provider.ts,
 * a real HTTP server, instead.
 */

const DEFAULT_EMBEDDING_DIMENSIONS = 8;
const MAX_EMBEDDING_DIMENSIONS = 4096;
const MAX_ECHO_CHARS = 200;
const STREAM_CONTENT_CHUNKS = 4;

const tokens = (chars: number): number => Math.ceil(chars / 4);

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => {
      const text = typeof part === 'object' && part !== null ? (part as { text?: unknown }).text : undefined;
      return typeof text === 'string' ? text : '';
    })
    .join('');
}

interface Prompt {
  /** What the default reply echoes. */
  echo: string;
  promptTokens: number;
}

function chatPrompt(body: Record<string, unknown>): Prompt {
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  let chars = 0;
  let lastUser = '';
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) continue;
    const { role, content } = message as { role?: unknown; content?: unknown };
    const text = textOf(content);
    chars += text.length;
    if (role === 'user') lastUser = text;
  }
  return { echo: lastUser, promptTokens: tokens(chars) };
}

/** An input of completions or embeddings: text, or token ids counted as they are. */
function inputItems(input: unknown): Array<string | number[]> {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return [];
  if (input.every((item) => typeof item === 'number')) return [input as number[]];
  return input.filter((item): item is string | number[] => typeof item === 'string' || Array.isArray(item));
}

function itemTokens(item: string | number[]): number {
  return typeof item === 'string' ? tokens(item.length) : item.length;
}

function completionPrompt(body: Record<string, unknown>): Prompt {
  const items = inputItems(body.prompt);
  const last = items[items.length - 1];
  const echo = last === undefined ? '' : typeof last === 'string' ? last : `${last.length} tokens`;
  return { echo, promptTokens: items.reduce((sum, item) => sum + itemTokens(item), 0) };
}

function replyText(deployment: Deployment, prompt: Prompt): string {
  return deployment.mock?.response ?? `This is a mock response to: ${prompt.echo.slice(0, MAX_ECHO_CHARS)}`;
}

function usageOf(prompt: Prompt, reply: string): Usage {
  const completion = tokens(reply.length);
  return { prompt_tokens: prompt.promptTokens, completion_tokens: completion, total_tokens: prompt.promptTokens + completion };
}

/** Unit vector of `dimensions` floats, a pure function of the input. */
function embeddingOf(item: string | number[], dimensions: number): number[] {
  const seed = typeof item === 'string' ? item : JSON.stringify(item);
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = sha256(`${seed}\u0000${block}`);
    for (let offset = 0; offset + 4 <= digest.length && values.length < dimensions; offset += 4) {
      values.push(digest.readUInt32LE(offset) / 0xffffffff - 0.5);
    }
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((value) => value / norm);
}

function embeddingsBody(deployment: Deployment, body: Record<string, unknown>): { json: unknown; usage: Usage } {
  const requested = body.dimensions;
  const dimensions =
    typeof requested === 'number' && Number.isInteger(requested) && requested > 0
      ? Math.min(requested, MAX_EMBEDDING_DIMENSIONS)
      : DEFAULT_EMBEDDING_DIMENSIONS;
  const base64 = body.encoding_format === 'base64';
  const items = inputItems(body.input);
  const data = items.map((item, index) => {
    const vector = embeddingOf(item, dimensions);
    const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const promptTokens = items.reduce((sum, item) => sum + itemTokens(item), 0);
  return {
    json: { object: 'list', data, model: deployment.providerModel, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } },
    usage: { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens },
  };
}

/** Splits text into at most `count` pieces at word boundaries; joined they give the text back. */
export function splitWords(text: string, count: number): string[] {
  const words = text.split(/(?<=\s)/);
  const size = Math.max(1, Math.ceil(words.length / count));
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += size) pieces.push(words.slice(i, i + size).join(''));
  return pieces.length > 0 ? pieces : [''];
}

interface Completion {
  id: string;
  created: number;
  model: string;
  reply: string;
  usage: Usage;
  chat: boolean;
}

function completionJson(c: Completion): unknown {
  const base = { id: c.id, object: c.chat ? 'chat.completion' : 'text_completion', created: c.created, model: c.model };
  const choice = c.chat
    ? { index: 0, message: { role: 'assistant', content: c.reply, refusal: null }, logprobs: null, finish_reason: 'stop' }
    : { index: 0, text: c.reply, logprobs: null, finish_reason: 'stop' };
  return { ...base, choices: [choice], usage: c.usage };
}

function chunkJson(c: Completion, piece: string | null, first: boolean): string {
  const finished = piece === null;
  const choice = c.chat
    ? {
        index: 0,
        delta: finished ? {} : first ? { role: 'assistant', content: piece } : { content: piece },
        logprobs: null,
        finish_reason: finished ? 'stop' : null,
      }
    : { index: 0, text: piece ?? '', logprobs: null, finish_reason: finished ? 'stop' : null };
  const object = c.chat ? 'chat.completion.chunk' : 'text_completion';
  return JSON.stringify({ id: c.id, object, created: c.created, model: c.model, choices: [choice] });
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<unknown> | null {
  return ms > 0 ? sleep(ms, undefined, { signal }) : null;
}

async function* streamEvents(c: Completion, gapMs: number, call: ProviderCall): AsyncGenerator<StreamEvent, void, undefined> {
  const pieces = splitWords(c.reply, STREAM_CONTENT_CHUNKS);
  try {
    for (const [index, piece] of pieces.entries()) {
      if (index > 0) await pause(gapMs, call.signal);
      if (call.signal?.aborted) throw call.signal.reason;
      yield toStreamEvent(chunkJson(c, piece, index === 0));
    }
  } catch (err) {
    throw new ProviderStreamError('cancelled', call.deployment.id, `the stream of deployment ${call.deployment.id} was cancelled`, {
      cause: err,
    });
  }
  yield toStreamEvent(chunkJson(c, null, false));
  const usageChunk = { id: c.id, object: c.chat ? 'chat.completion.chunk' : 'text_completion', created: c.created, model: c.model, choices: [], usage: c.usage };
  yield toStreamEvent(JSON.stringify(usageChunk));
  yield toStreamEvent('[DONE]');
}

export async function callMock(call: ProviderCall): Promise<ProviderResponse> {
  const { deployment, endpoint } = call;
  if (call.signal?.aborted) return cancelledFailure(deployment, false);
  const body = buildProviderBody(deployment, endpoint, call.body, { stream: call.stream, wantUsage: call.wantUsage });
  const latencyMs = deployment.mock?.latencyMs ?? 0;
  const streaming = call.stream && endpoint !== 'embeddings';
  // A stream spreads the latency over its chunks, so streamed and plain
  // calls to one mock take about as long.
  const firstDelay = streaming ? latencyMs / (STREAM_CONTENT_CHUNKS + 1) : latencyMs;
  try {
    await pause(firstDelay, call.signal);
  } catch {
    return cancelledFailure(deployment, true);
  }
  if (endpoint === 'embeddings') {
    const { json, usage } = embeddingsBody(deployment, body);
    return { kind: 'json', status: 200, contentType: 'application/json', body: Buffer.from(JSON.stringify(json)), usage, headers: {} };
  }
  const chat = endpoint === 'chat.completions';
  const prompt = chat ? chatPrompt(body) : completionPrompt(body);
  const reply = replyText(deployment, prompt);
  const digest = sha256(`${deployment.providerModel}\u0000${prompt.echo}\u0000${reply}`).toString('hex').slice(0, 24);
  const completion: Completion = {
    id: `${chat ? 'chatcmpl' : 'cmpl'}-mock${digest}`,
    created: Math.floor(Date.now() / 1000),
    model: deployment.providerModel,
    reply,
    usage: usageOf(prompt, reply),
    chat,
  };
  if (streaming) {
    return { kind: 'stream', status: 200, headers: {}, events: streamEvents(completion, firstDelay, call) };
  }
  const json = Buffer.from(JSON.stringify(completionJson(completion)));
  return { kind: 'json', status: 200, contentType: 'application/json', body: json, usage: completion.usage, headers: {} };
}
