import type { Deployment } from '@switchyard/config';
import { PROVIDER_CONFIGS, vertexHost, type HttpProviderName } from '@switchyard/providers';

/**
 * OTel's `server.address` / `server.port` of the endpoint a deployment calls:
 * its api_base, else the provider's default. Only host and port: the path
 * and query of an api_base may carry a deployment name or a key.
 */
export function serverAttributes(deployment: Deployment): Record<string, string | number> {
  // Vertex AI's host is its location's, not one default.
  const vertex = deployment.provider === 'vertex_ai' && deployment.vertex != null ? vertexHost(deployment.vertex.location) : null;
  const base = deployment.apiBase ?? vertex ?? (deployment.provider === 'mock' ? null : PROVIDER_CONFIGS[deployment.provider as HttpProviderName]?.defaultBaseUrl ?? null);
  if (base === null) return {};
  try {
    const url = new URL(base);
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return { 'server.address': url.hostname.replace(/^\[|\]$/g, ''), 'server.port': port };
  } catch {
    return {};
  }
}
