import { Errors, type Usage } from '@switchyard/contracts';
import type { Deployment } from '@switchyard/config';
import { isRecord } from '../usage.js';

/*
 * OpenAI embeddings -> Bedrock InvokeModel bodies, per model family, as
 * LiteLLM maps them (litellm/llms/bedrock/embed/): Amazon Titan text
 * (`inputText`, one text per call) and Cohere on Bedrock (`texts`,
 * `input_type`). The answer becomes OpenAI's list, base64 when the client
 * asked (the openai SDK asks by default).
 */

const bad = (message: string, param: string | null = null) => Errors.invalidRequest(message, param, 'unsupported_by_provider');

export type EmbeddingFamily = 'titan-v1' | 'titan-v2' | 'cohere';

/** Geography prefix of a cross-region inference profile (`us.cohere.embed-v4:0`). */
const PROFILE = /^(?:us|us-gov|eu|apac|jp|au|ca|global)\./;

export function embeddingFamily(modelId: string): EmbeddingFamily | null {
  const id = modelId.replace(PROFILE, '');
  if (id.startsWith('amazon.titan-embed-text-v2')) return 'titan-v2';
  if (id.startsWith('amazon.titan-embed-text-v1') || id.startsWith('amazon.titan-embed-g1-text')) return 'titan-v1';
  if (id.startsWith('cohere.embed')) return 'cohere';
  return null;
}

function familyOf(deployment: Deployment): EmbeddingFamily {
  const family = embeddingFamily(deployment.providerModel);
  if (family === null) {
    throw bad(`embeddings of Bedrock model ${deployment.providerModel} are not mapped (Amazon Titan text and Cohere embed models are)`, 'model');
  }
  return family;
}

function texts(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((item) => typeof item === 'string')) return input as string[];
  throw bad('a Bedrock deployment embeds text: input must be a string or an array of strings, not token ids', 'input');
}

function unmapped(name: string, deployment: Deployment, family: string): Record<string, unknown> {
  if (deployment.dropParams) return {};
  throw bad(`${name} cannot be sent to a Bedrock ${family} embedding model (set drop_params to drop it)`, name);
}

export function embeddingsRequestToBedrock(body: Readonly<Record<string, unknown>>, deployment: Deployment): Record<string, unknown> {
  const family = familyOf(deployment);
  const inputs = texts(body.input);
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : null;
  if (family === 'cohere') {
    const cohere: Record<string, unknown> = {
      texts: inputs,
      // Cohere's v3 models require it; LiteLLM's default.
      input_type: typeof body.input_type === 'string' ? body.input_type : 'search_document',
    };
    if (typeof body.truncate === 'string') cohere.truncate = body.truncate;
    if (dimensions !== null) {
      if (deployment.providerModel.includes('embed-v4')) cohere.output_dimension = dimensions;
      else Object.assign(cohere, unmapped('dimensions', deployment, 'Cohere v3'));
    }
    return cohere;
  }
  // Titan embeds one text per InvokeModel call, and the gateway makes one provider call per request.
  if (inputs.length !== 1) {
    throw bad(`a Bedrock Titan embedding model embeds one text per request; this request has ${inputs.length} (send them one at a time)`, 'input');
  }
  const titan: Record<string, unknown> = { inputText: inputs[0] };
  if (dimensions !== null) {
    if (family === 'titan-v2') titan.dimensions = dimensions;
    else Object.assign(titan, unmapped('dimensions', deployment, 'Titan v1'));
  }
  return titan;
}

/** A vector as OpenAI's base64: little-endian float32 bytes. */
function toBase64(vector: readonly number[]): string {
  const floats = new Float32Array(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}

function vectorsOf(json: Record<string, unknown>, family: EmbeddingFamily): number[][] {
  if (family !== 'cohere') return Array.isArray(json.embedding) ? [json.embedding as number[]] : [];
  const embeddings = json.embeddings;
  if (Array.isArray(embeddings)) return embeddings as number[][];
  // `embeddings_by_type` answers (embedding_types asked for): the floats.
  return isRecord(embeddings) && Array.isArray(embeddings.float) ? (embeddings.float as number[][]) : [];
}

function tokenCount(json: Record<string, unknown>, headers: Readonly<Record<string, string>> | undefined): number | null {
  if (typeof json.inputTextTokenCount === 'number') return json.inputTextTokenCount;
  // InvokeModel reports the tokens of every model in a header; Cohere's body has no count.
  const header = Number(headers?.['x-amzn-bedrock-input-token-count']);
  return Number.isInteger(header) && header >= 0 ? header : null;
}

export function bedrockToEmbeddingsResponse(
  json: unknown,
  deployment: Deployment,
  base64: boolean,
  headers?: Readonly<Record<string, string>>,
): { body: Record<string, unknown>; usage: Usage | null } {
  const record = isRecord(json) ? json : {};
  const vectors = vectorsOf(record, familyOf(deployment));
  const count = tokenCount(record, headers);
  const usage: Usage | null = count === null ? null : { prompt_tokens: count, completion_tokens: 0, total_tokens: count };
  const body: Record<string, unknown> = {
    object: 'list',
    data: vectors.map((vector, index) => ({ object: 'embedding', index, embedding: base64 ? toBase64(vector) : vector })),
    model: deployment.providerModel,
    usage: { prompt_tokens: count ?? 0, total_tokens: count ?? 0 },
  };
  return { body, usage };
}
