import type { ProviderConfig } from '../providers/base.js';
import type { EndpointTransforms } from '../transforms.js';
import { ProviderStreamError } from '../types.js';
import { chatRequestToCohere, embeddingsRequestToCohere } from './request.js';
import { cohereChatToOpenAI, cohereEmbedToOpenAI } from './response.js';
import { CohereStreamTranslator } from './stream.js';

const modelOf = (body: Readonly<Record<string, unknown>>): string => (typeof body.model === 'string' ? body.model : '');

const chat: EndpointTransforms = {
  request: (body) => chatRequestToCohere(body),
  response: (json, ctx) => cohereChatToOpenAI(json, modelOf(ctx.providerBody)),
  stream: (ctx) => new CohereStreamTranslator(ctx.deployment.id, modelOf(ctx.providerBody)),
};

const embeddings: EndpointTransforms = {
  request: (body) => embeddingsRequestToCohere(body),
  response: (json, ctx) => cohereEmbedToOpenAI(json, modelOf(ctx.providerBody), ctx.clientBody?.encoding_format),
  // Embeddings never stream; a stream here is a broken answer.
  stream: (ctx) => ({
    push: () => {
      throw new ProviderStreamError('invalid_response', ctx.deployment.id, `deployment ${ctx.deployment.id} streamed an embeddings answer`);
    },
    end: () => [],
  }),
};

/**
 * Cohere's API v2: chat at /v2/chat, embed at /v2/embed, a bearer key.
 * api_base is the host (default https://api.cohere.com); LiteLLM-style full
 * URLs (COHERE_API_BASE=https://api.cohere.com/v2/chat, or /v1/...) are cut
 * back to it, so one deployment serves both endpoints. Errors need no map of
 * their own: Cohere's `{"message": ...}` reads as OpenAI's, 401 is a credential
 * failure, 429 and 5xx are retryable (failures.ts).
 */
export const cohere: ProviderConfig = {
  name: 'cohere',
  defaultBaseUrl: 'https://api.cohere.com',
  apiKey: 'default-base-only',
  // Cohere reports usage on message-end unasked, and knows no stream_options.
  streamUsage: 'always',
  root: (apiBase) => apiBase.replace(/\/v[12](\/(chat|embed|generate))?$/, ''),
  url: (root, endpoint) => `${root}/v2/${endpoint === 'embeddings' ? 'embed' : 'chat'}`,
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  // LiteLLM's `cohere_chat/v1/<model>` asks for the legacy v1 chat API; v2 serves the same models.
  wireModel: (model) => model.replace(/^v1\//, ''),
  endpoints: ['chat.completions', 'embeddings'],
  transforms: { 'chat.completions': chat, embeddings },
};
