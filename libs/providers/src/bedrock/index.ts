import type { ProviderConfig } from '../providers/base.js';
import type { EndpointTransforms } from '../transforms.js';
import { chatRequestToConverse, isJsonMode } from './chat-request.js';
import { converseToChatResponse } from './chat-response.js';
import { ConverseStreamTranslator } from './chat-stream.js';
import { bedrockToEmbeddingsResponse, embeddingsRequestToBedrock } from './embeddings.js';
import { bedrockErrorBody } from './errors.js';
import { BEDROCK_EVENT_STREAM } from './event-stream.js';
import { signatureSecrets, signBedrockRequest } from './signing.js';

const chat: EndpointTransforms = {
  request: (body, ctx) => chatRequestToConverse(body, ctx.deployment.dropParams),
  response: (json, ctx) => converseToChatResponse(json, ctx.deployment.providerModel, isJsonMode(ctx.providerBody)),
  stream: (ctx) => new ConverseStreamTranslator(ctx.deployment.id, ctx.deployment.providerModel, isJsonMode(ctx.providerBody)),
};

const embeddings: EndpointTransforms = {
  request: (body, ctx) => embeddingsRequestToBedrock(body, ctx.deployment),
  response: (json, ctx) => bedrockToEmbeddingsResponse(json, ctx.deployment, ctx.clientBody?.encoding_format === 'base64', ctx.headers),
  stream: () => {
    throw new Error('embeddings do not stream');
  },
};

/** A path label as the AWS SDK writes it (its extendedEncodeURIComponent): `:` and `/` of model ids and ARNs encoded. */
export function encodeModelId(modelId: string): string {
  return encodeURIComponent(modelId).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * AWS Bedrock Runtime: chat through Converse / ConverseStream, embeddings
 * through InvokeModel (Titan and Cohere bodies). api_base is the endpoint
 * root; the config resolves it (aws_bedrock_runtime_endpoint, the region's
 * bedrock-runtime host), so every bedrock deployment has one. Calls are
 * signed with SigV4 in `authorize`, or carry a Bedrock API key as a bearer.
 */
export const bedrock: ProviderConfig = {
  name: 'bedrock',
  defaultBaseUrl: null,
  apiKey: 'optional',
  streamUsage: 'always',
  root: (apiBase) => apiBase,
  url: (root, endpoint, deployment, stream) => {
    const action = endpoint === 'embeddings' ? 'invoke' : stream ? 'converse-stream' : 'converse';
    return `${root}/model/${encodeModelId(deployment.aws?.modelId ?? deployment.providerModel)}/${action}`;
  },
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  authorize: (request, deployment) => signBedrockRequest(request, deployment),
  callSecrets: signatureSecrets,
  streamFraming: BEDROCK_EVENT_STREAM,
  errorBody: bedrockErrorBody,
  endpoints: ['chat.completions', 'embeddings'],
  transforms: { 'chat.completions': chat, embeddings },
};
