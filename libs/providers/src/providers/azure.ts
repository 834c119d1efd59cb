import { NATIVE_RESPONSES_ENDPOINTS, NATIVE_RESPONSES_TRANSFORMS, type ProviderConfig } from './base.js';

/** Used when the deployment sets no api_version: Azure's latest GA data-plane version. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

const AZURE_PATHS = {
  'chat.completions': 'chat/completions',
  completions: 'completions',
  embeddings: 'embeddings',
  // Never called: messages go to Azure as chat (via-chat.ts).
  messages: 'chat/completions',
  responses: 'responses',
} as const;

/**
 * Azure serves the Responses API only on its OpenAI-compatible v1 surface
 * (`/openai/v1/responses`, GA since August 2025): no deployment in the path
 * (the body's `model` names it, which the gateway sets to the deployment
 * name) and no api-version, which that surface does not take.
 */
export function azureResponsesUrl(root: string): string {
  return `${root}/openai/v1/responses`;
}

// Azure routes by deployment name in the path, versions by query string and
// authenticates with `api-key`; the body's `model` is ignored there.
export const azure: ProviderConfig = {
  name: 'azure',
  defaultBaseUrl: null,
  apiKey: 'required',
  streamUsage: 'stream_options',
  // Operators paste either the resource URL or one ending in /openai.
  root: (apiBase) => (apiBase.endsWith('/openai') ? apiBase.slice(0, -'/openai'.length) : apiBase),
  url: (root, endpoint, deployment) =>
    endpoint === 'responses'
      ? azureResponsesUrl(root)
      : `${root}/openai/deployments/${encodeURIComponent(deployment.providerModel)}/${AZURE_PATHS[endpoint]}` +
    `?api-version=${encodeURIComponent(deployment.apiVersion ?? AZURE_DEFAULT_API_VERSION)}`,
  authHeaders: (apiKey) => ({ 'api-key': apiKey }),
  endpoints: NATIVE_RESPONSES_ENDPOINTS,
  transforms: NATIVE_RESPONSES_TRANSFORMS,
};
