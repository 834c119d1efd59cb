import { parseHttpUrl, type Deployment } from '@switchyard/config';
import { ENDPOINTS, Errors, type Endpoint, type GatewayError } from '@switchyard/contracts';
import { PROVIDER_CONFIGS, type ProviderConfig } from './providers/index.js';
import type { BuildOptions, ProviderRequest } from './types.js';
import { applyToObject, applyToText, bodyChanges } from './provider-body.js';
import type { EndpointTransforms, ResponseContext } from './transforms.js';
import { chained, servesEndpoint, transformsFor } from './via-chat.js';

/** The code of every error that means "fix the config file", never "try again later". */
export const MISCONFIGURED = 'deployment_misconfigured';

export function misconfigured(message: string): GatewayError {
  return Errors.upstreamFailed(message, MISCONFIGURED);
}

/**
 * The body the provider receives, as an object: the client's body with the
 * deployment's model, its defaults where the client set nothing, and usage
 * always asked for on streams (the caller drops the usage-only chunk when the
 * client did not ask). The built-in mock reads it; HTTP calls send
 * `providerBodyText`.
 */
export function buildProviderBody(
  deployment: Deployment,
  endpoint: Endpoint,
  body: Record<string, unknown>,
  opts: BuildOptions,
  streamUsage: ProviderConfig['streamUsage'] = 'stream_options',
): Record<string, unknown> {
  return applyToObject(body, bodyChanges(deployment, endpoint, body, opts, streamUsage));
}

/**
 * The same body as text: the client's own bytes (`opts.bodyText`) edited in
 * place, so every number and string the gateway has no reason to touch
 * arrives as the client wrote it. A body that cannot be edited in place
 * (a duplicated top-level key) is sent as the ingress validated it.
 */
export function providerBodyText(
  deployment: Deployment,
  endpoint: Endpoint,
  body: Record<string, unknown>,
  opts: BuildOptions,
  streamUsage: ProviderConfig['streamUsage'] = 'stream_options',
): string {
  const changes = bodyChanges(deployment, endpoint, body, opts, streamUsage);
  const edited = opts.bodyText === undefined ? null : applyToText(opts.bodyText, changes);
  return edited ?? JSON.stringify(applyToObject(body, changes));
}

export function providerConfig(deployment: Deployment): ProviderConfig {
  if (deployment.provider === 'mock') {
    throw misconfigured(`deployment ${deployment.id} uses the built-in mock provider, which makes no HTTP call`);
  }
  return PROVIDER_CONFIGS[deployment.provider];
}

function resolveRoot(deployment: Deployment, config: ProviderConfig): { root: string; custom: boolean } {
  const base = deployment.apiBase ?? config.defaultBaseUrl;
  if (base === null) {
    throw misconfigured(`deployment ${deployment.id} (${deployment.provider}) needs an api_base and has none`);
  }
  // Not `new URL`: it refuses hosts with a numeric last label (`qwen2.5`), which operators use.
  if (parseHttpUrl(base) === null) {
    throw misconfigured(`deployment ${deployment.id} has an api_base that is not an http(s) URL`);
  }
  const trimmed = base.replace(/\/+$/, '');
  return { root: config.root(trimmed), custom: deployment.apiBase !== null };
}

function resolveApiKey(deployment: Deployment, config: ProviderConfig, customBase: boolean): string | null {
  const key = deployment.apiKey?.reveal() ?? '';
  if (key !== '') return key;
  // A key the operator referenced but did not provide is always a mistake,
  // even for providers that can run keyless.
  if (deployment.apiKeyEnv !== null) {
    throw misconfigured(`deployment ${deployment.id} has no API key: the environment variable ${deployment.apiKeyEnv} is not set`);
  }
  if (config.apiKey === 'required' || (config.apiKey === 'default-base-only' && !customBase)) {
    throw misconfigured(`deployment ${deployment.id} (${deployment.provider}) has no API key configured`);
  }
  return null;
}

/**
 * Builds the HTTP request for one provider call. Throws a `GatewayError` with
 * code `deployment_misconfigured` when the deployment cannot be called at all
 * (no api_base where one is needed, no key where one is needed); nothing was
 * sent, so the client turns that into a definite failure.
 */
export function buildProviderRequest(
  deployment: Deployment,
  endpoint: Endpoint,
  body: Record<string, unknown>,
  opts: BuildOptions,
): ProviderRequest {
  const config = providerConfig(deployment);
  // A wildcard route as configured still has `*` for a model: only its copy from
  // deploymentFor/resolveModel (with the client's model filled in) can be called.
  if (deployment.wildcard != null && deployment.wildcard.matched === null) {
    throw misconfigured(`deployment ${deployment.id} is a wildcard route (${deployment.wildcard.pattern}): resolve the requested model with deploymentFor before calling it`);
  }
  // Going to a default endpoint instead of the one the operator named would
  // send traffic (and maybe a key) somewhere unintended.
  if (deployment.missingEnv.length > 0) {
    const names = deployment.missingEnv.join(', ');
    throw misconfigured(`deployment ${deployment.id} cannot be called: environment variable(s) ${names} not set`);
  }
  if (!servesEndpoint(config, endpoint)) {
    throw Errors.invalidRequest(`deployment ${deployment.id} (${deployment.provider}) does not serve ${endpoint}`, 'model', 'unsupported_endpoint');
  }
  const transforms = transformsFor(config, endpoint);
  const wire = transforms?.via ?? endpoint;
  const { root, custom } = resolveRoot(deployment, config);
  const apiKey = resolveApiKey(deployment, config, custom);
  const headers: Record<string, string> = {
    ...config.headers,
    'content-type': 'application/json',
    accept: opts.stream && ENDPOINTS[endpoint].streams ? 'text/event-stream' : 'application/json',
    ...(apiKey === null ? {} : config.authHeaders(apiKey)),
  };
  if (deployment.provider === 'anthropic' && opts.anthropicBeta) headers['anthropic-beta'] = opts.anthropicBeta;
  // The operator's extra_headers win over the defaults (a proxy in front of
  // the provider may want its own auth scheme), but the body stays JSON.
  for (const [name, value] of Object.entries(deployment.extraHeaders)) {
    const lower = name.toLowerCase();
    if (lower !== 'content-type' && lower !== 'content-length') headers[lower] = value;
  }
  const url = config.url(root, wire, deployment, opts.stream && ENDPOINTS[endpoint].streams);
  if (transforms === undefined) {
    return { url, method: 'POST', headers, body: providerBodyText(deployment, endpoint, body, opts, config.streamUsage) };
  }
  const ctx = { deployment, stream: opts.stream };
  if (transforms.via !== undefined) return { url, method: 'POST', headers, ...viaBody(deployment, config, transforms, transforms.via, body, opts) };
  let providerBody: Record<string, unknown>;
  let text: string;
  if (transforms.request === undefined) {
    text = providerBodyText(deployment, endpoint, body, opts, config.streamUsage);
    providerBody = body;
  } else {
    providerBody = transforms.request(buildProviderBody(deployment, endpoint, body, opts, config.streamUsage), ctx);
    text = JSON.stringify(providerBody);
  }
  return { url, method: 'POST', headers, body: text, translation: { transforms, ctx: { ...ctx, providerBody, clientBody: body } } };
}

/**
 * The body of an endpoint served through another (`via`): translated to the
 * via endpoint's body, edited as that body is (model, defaults, stream
 * usage), then through the provider's own transforms of it when it has them.
 */
function viaBody(
  deployment: Deployment,
  config: ProviderConfig,
  outer: EndpointTransforms,
  via: Endpoint,
  body: Record<string, unknown>,
  opts: BuildOptions,
): Pick<ProviderRequest, 'body' | 'translation'> {
  const ctx = { deployment, stream: opts.stream };
  const viaRequest = buildProviderBody(deployment, via, outer.request === undefined ? body : outer.request(body, ctx), opts, config.streamUsage);
  const outerCtx: ResponseContext = { ...ctx, providerBody: viaRequest, clientBody: body };
  const inner = config.transforms[via];
  if (inner === undefined) return { body: JSON.stringify(viaRequest), translation: { transforms: outer, ctx: outerCtx } };
  const providerBody = inner.request === undefined ? viaRequest : inner.request(viaRequest, ctx);
  const innerCtx: ResponseContext = { ...ctx, providerBody, clientBody: viaRequest };
  return { body: JSON.stringify(providerBody), translation: { transforms: chained(outer, outerCtx, inner, innerCtx), ctx: outerCtx } };
}
