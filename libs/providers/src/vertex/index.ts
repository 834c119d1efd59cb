import type { Deployment } from '@switchyard/config';
import { Errors, type Endpoint } from '@switchyard/contracts';
import type { ProviderConfig } from '../providers/base.js';
import type { EndpointTransforms, TransformContext } from '../transforms.js';
import { vertexPredictRequest, vertexPredictResponse } from '../gemini/embeddings.js';
import { GEMINI_CHAT } from '../gemini/index.js';
import { googleModelId, namesModel, withMethod } from '../gemini/url.js';
import { vertexAuthorization } from './auth.js';
import { VERTEX_CLAUDE_CHAT } from './claude.js';
import { misconfigured } from '../misconfigured.js';

type Publisher = 'google' | 'anthropic';

/** Vertex AI serves Claude as a partner model (`vertex_ai/claude-sonnet-4@20250514`); the rest are Google's. */
function publisherOf(deployment: Deployment): Publisher {
  return /^claude-/i.test(googleModelId(deployment.providerModel)) ? 'anthropic' : 'google';
}


function methodOf(publisher: Publisher, endpoint: Endpoint, stream: boolean): { method: string; sse: boolean } {
  if (endpoint === 'embeddings') return { method: 'predict', sse: false };
  if (publisher === 'anthropic') return { method: stream ? 'streamRawPredict' : 'rawPredict', sse: false };
  return { method: stream ? 'streamGenerateContent' : 'generateContent', sse: stream };
}

/** Vertex AI's host for a location: `global` has no regional prefix. */
export function vertexHost(location: string): string {
  return location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
}

function vertexUrl(root: string, endpoint: Endpoint, deployment: Deployment, stream: boolean): string {
  const vertex = deployment.vertex;
  if (vertex == null) throw misconfigured(`deployment ${deployment.id} is a vertex_ai deployment without Vertex settings`);
  const publisher = publisherOf(deployment);
  if (publisher === 'anthropic' && endpoint === 'embeddings') {
    throw Errors.invalidRequest(`deployment ${deployment.id} (a Claude model on Vertex AI) does not serve embeddings`, 'model', 'unsupported_endpoint');
  }
  const { method, sse } = methodOf(publisher, endpoint, stream);
  if (deployment.apiBase !== null && namesModel(root)) return withMethod(root, method, sse);
  if (vertex.project === null) {
    throw misconfigured(`deployment ${deployment.id} has no Vertex AI project: set vertex_project, VERTEXAI_PROJECT, or credentials with a project_id`);
  }
  const host = deployment.apiBase === null ? vertexHost(vertex.location) : root.replace(/\/v1(beta1)?$/, '');
  const path = `/v1/projects/${encodeURIComponent(vertex.project)}/locations/${encodeURIComponent(vertex.location)}/publishers/${publisher}/models/${googleModelId(deployment.providerModel)}`;
  return withMethod(`${host}${path}`, method, sse);
}

/** One endpoint's transforms chosen per call: Gemini's or Anthropic's, by the model's publisher. */
function byPublisher(google: EndpointTransforms, anthropic: EndpointTransforms): EndpointTransforms {
  const pick = (ctx: TransformContext) => (publisherOf(ctx.deployment) === 'anthropic' ? anthropic : google);
  return {
    request: (body, ctx) => pick(ctx).request!(body, ctx),
    response: (json, ctx) => pick(ctx).response(json, ctx),
    stream: (ctx) => pick(ctx).stream(ctx),
  };
}

const embeddings: EndpointTransforms = {
  request: (body) => vertexPredictRequest(body),
  response: (json, ctx) => vertexPredictResponse(json, ctx.clientBody ?? {}, ctx.deployment.providerModel),
  stream: GEMINI_CHAT.stream,
};

/**
 * Vertex AI (LiteLLM's `vertex_ai/`): Gemini models through generateContent,
 * Claude through rawPredict, text embeddings through predict, each call
 * authorised with an OAuth token of the deployment's credentials. The host is
 * the location's (`https://{location}-aiplatform.googleapis.com`) unless
 * api_base names another.
 */
export const vertexAi: ProviderConfig = {
  name: 'vertex_ai',
  // LiteLLM's default location; the URL is built from the deployment's own.
  defaultBaseUrl: vertexHost('us-central1'),
  apiKey: 'optional',
  streamUsage: 'always',
  root: (apiBase) => apiBase,
  url: vertexUrl,
  authHeaders: () => ({}),
  authorize: (_request, deployment, signal) => vertexAuthorization(deployment, signal),
  endpoints: ['chat.completions', 'embeddings'],
  transforms: { 'chat.completions': byPublisher(GEMINI_CHAT, VERTEX_CLAUDE_CHAT), embeddings },
};
