import { OPENAI_ENDPOINTS, OPENAI_TRANSFORMS, type ProviderConfig } from './base.js';

/** Used when the deployment sets no api_version: Azure's latest GA data-plane version. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

const AZURE_PATHS = {
  'chat.completions': 'chat/completions',
  completions: 'completions',
  embeddings: 'embeddings',
  // Never called: messages go to Azure as chat (OPENAI_TRANSFORMS' via).
  messages: 'chat/completions',
} as const;

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
    `${root}/openai/deployments/${encodeURIComponent(deployment.providerModel)}/${AZURE_PATHS[endpoint]}` +
    `?api-version=${encodeURIComponent(deployment.apiVersion ?? AZURE_DEFAULT_API_VERSION)}`,
  authHeaders: (apiKey) => ({ 'api-key': apiKey }),
  endpoints: OPENAI_ENDPOINTS,
  transforms: OPENAI_TRANSFORMS,
};
