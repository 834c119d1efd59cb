import { Errors, type Usage } from '@switchyard/contracts';
import { countTextTokens } from '../tokens.js';
import { isRecord } from '../usage.js';

/*
 * OpenAI embeddings <-> Google's: AI Studio's batchEmbedContents (one
 * request per input, one call) and Vertex AI's predict (one instance per
 * input), as LiteLLM maps them (google_batch_embeddings, vertex_embeddings).
 */

const bad = (message: string, param: string | null = null) => Errors.invalidRequest(message, param, 'unsupported_by_provider');

/** The inputs as texts; token arrays have no meaning to Google's tokenizer. */
export function embeddingTexts(body: Readonly<Record<string, unknown>>): string[] {
  const input = body.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((item) => typeof item === 'string')) return input;
  throw bad('a Google deployment embeds text: input must be a string or an array of strings, not token ids', 'input');
}

export function batchEmbedRequest(body: Readonly<Record<string, unknown>>, model: string): Record<string, unknown> {
  const dimensions = typeof body.dimensions === 'number' ? { outputDimensionality: body.dimensions } : {};
  return {
    requests: embeddingTexts(body).map((text) => ({ model: `models/${model}`, content: { parts: [{ text }] }, ...dimensions })),
  };
}

export function vertexPredictRequest(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const dimensions = typeof body.dimensions === 'number' ? { parameters: { outputDimensionality: body.dimensions } } : {};
  return { instances: embeddingTexts(body).map((content) => ({ content })), ...dimensions };
}

/** OpenAI's base64 form: the float32 values, little-endian, as the openai SDK decodes them. */
function encoded(values: number[], format: unknown): number[] | string {
  if (format !== 'base64') return values;
  return Buffer.from(new Float32Array(values).buffer).toString('base64');
}

function embeddingList(vectors: number[][], model: string, format: unknown, promptTokens: number): { body: Record<string, unknown>; usage: Usage } {
  const usage = { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens };
  return {
    body: {
      object: 'list',
      data: vectors.map((values, index) => ({ object: 'embedding', index, embedding: encoded(values, format) })),
      model,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    },
    usage,
  };
}

const numbers = (value: unknown): number[] => (Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : []);

/**
 * batchEmbedContents' answer. AI Studio reports no token count for
 * embeddings: the usage is the gateway's estimate of the inputs (as LiteLLM's
 * token_counter gives it), so the limiter settles to what was sent.
 */
export function batchEmbedResponse(json: unknown, request: Readonly<Record<string, unknown>>, model: string): { body: Record<string, unknown>; usage: Usage } {
  const embeddings = isRecord(json) && Array.isArray(json.embeddings) ? json.embeddings : [];
  const vectors = embeddings.map((embedding: unknown) => numbers(isRecord(embedding) ? embedding.values : undefined));
  const reported = isRecord(json) && isRecord(json.usageMetadata) ? json.usageMetadata.promptTokenCount : undefined;
  const estimate = embeddingTexts(request).reduce((sum, text) => sum + countTextTokens(text, 'approximate'), 0);
  return embeddingList(vectors, model, request.encoding_format, typeof reported === 'number' ? reported : estimate);
}

/** predict's answer: each prediction's values and the tokens Vertex counted. */
export function vertexPredictResponse(json: unknown, request: Readonly<Record<string, unknown>>, model: string): { body: Record<string, unknown>; usage: Usage } {
  const predictions = isRecord(json) && Array.isArray(json.predictions) ? json.predictions : [];
  let tokens = 0;
  const vectors = predictions.map((prediction: unknown) => {
    const embeddings = isRecord(prediction) && isRecord(prediction.embeddings) ? prediction.embeddings : {};
    const statistics = isRecord(embeddings.statistics) ? embeddings.statistics : {};
    if (typeof statistics.token_count === 'number') tokens += statistics.token_count;
    return numbers(embeddings.values);
  });
  return embeddingList(vectors, model, request.encoding_format, tokens);
}
