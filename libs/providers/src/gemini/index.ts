import type { ProviderConfig } from '../providers/base.js';
import type { EndpointTransforms } from '../transforms.js';
import { batchEmbedRequest, batchEmbedResponse } from './embeddings.js';
import { chatRequestToGemini } from './request.js';
import { generateContentToChat } from './response.js';
import { GeminiStreamTranslator } from './stream.js';
import { googleModelId, namesModel, withMethod } from './url.js';

export const GEMINI_CHAT: EndpointTransforms = {
  request: (body, ctx) => chatRequestToGemini(body, { dropParams: ctx.deployment.dropParams, safetySettings: ctx.deployment.defaultParams.safety_settings }),
  response: (json, ctx) => generateContentToChat(json, ctx.deployment.providerModel),
  stream: (ctx) => new GeminiStreamTranslator(ctx.deployment.id, ctx.deployment.providerModel),
};

const embeddings: EndpointTransforms = {
  request: (body, ctx) => batchEmbedRequest(body, googleModelId(ctx.deployment.providerModel)),
  response: (json, ctx) => batchEmbedResponse(json, ctx.clientBody ?? {}, ctx.deployment.providerModel),
  stream: (ctx) => new GeminiStreamTranslator(ctx.deployment.id, ctx.deployment.providerModel),
};

/**
 * Google AI Studio's Gemini API (LiteLLM's `gemini/`): the key goes in the
 * x-goog-api-key header, never in the URL (where logs and proxies keep it).
 * api_base is the host (LiteLLM's default https://generativelanguage.googleapis.com);
 * one ending in /v1beta or /v1 is taken as the version root.
 */
export const gemini: ProviderConfig = {
  name: 'gemini',
  defaultBaseUrl: 'https://generativelanguage.googleapis.com',
  apiKey: 'default-base-only',
  streamUsage: 'always',
  root: (apiBase) => apiBase,
  url: (root, endpoint, deployment, stream) => {
    const method = endpoint === 'embeddings' ? 'batchEmbedContents' : stream ? 'streamGenerateContent' : 'generateContent';
    const modelUrl = namesModel(root) ? root : `${/\/v1(beta)?$/.test(root) ? root : `${root}/v1beta`}/models/${googleModelId(deployment.providerModel)}`;
    return withMethod(modelUrl, method, stream);
  },
  authHeaders: (apiKey) => ({ 'x-goog-api-key': apiKey }),
  endpoints: ['chat.completions', 'embeddings'],
  transforms: { 'chat.completions': GEMINI_CHAT, embeddings },
};
