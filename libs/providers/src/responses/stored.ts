import type { Deployment } from '@switchyard/config';
import { Errors } from '@switchyard/contracts';
import { buildProviderRequest, providerConfig } from '../request.js';
import type { ProviderRequest } from '../types.js';

export type StoredResponseOperation = 'retrieve' | 'delete';

/** Whether a deployment's provider keeps the responses it makes (serves the Responses API itself). */
export function storesResponses(deployment: Deployment): boolean {
  return deployment.provider !== 'mock' && providerConfig(deployment).endpoints.includes('responses');
}

/** The URL of one stored response: the create URL with the id as its last path segment (an Azure query string stays last). */
function storedUrl(createUrl: string, responseId: string): string {
  const query = createUrl.indexOf('?');
  const path = query === -1 ? createUrl : createUrl.slice(0, query);
  return `${path}/${encodeURIComponent(responseId)}${query === -1 ? '' : createUrl.slice(query)}`;
}

/**
 * GET or DELETE /v1/responses/{id} at the deployment that stores it: the
 * create request's URL, credentials and headers, no body. Throws
 * `GatewayError` for a deployment that stores nothing, or cannot be called.
 */
export function buildStoredResponseRequest(deployment: Deployment, operation: StoredResponseOperation, responseId: string): ProviderRequest {
  if (!storesResponses(deployment)) {
    throw Errors.invalidRequest(`deployment ${deployment.id} (${deployment.provider}) does not store responses`, 'response_id', 'unsupported_endpoint');
  }
  const create = buildProviderRequest(deployment, 'responses', { model: deployment.providerModel, input: '' }, { stream: false, wantUsage: false });
  const { 'content-type': _json, ...headers } = create.headers;
  return { url: storedUrl(create.url, responseId), method: operation === 'retrieve' ? 'GET' : 'DELETE', headers, body: '' };
}
