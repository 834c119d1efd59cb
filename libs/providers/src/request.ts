import { parseHttpUrl, type Deployment } from '@switchyard/config';
import { ENDPOINTS, Errors, GatewayError, type Endpoint } from '@switchyard/contracts';
import { misconfigured } from './misconfigured.js';
import { PROVIDER_CONFIGS, type ProviderConfig } from './providers/index.js';
import type { BuildOptions, ProviderRequest } from './types.js';
import { applyToObject, applyToText, bodyChanges } from './provider-body.js';
import type { EndpointTransforms, ResponseContext } from './transforms.js';
import { chained, servesEndpoint, transformsFor } from './via-chat.js';

export { MISCONFIGURED, misconfigured } from './misconfigured.js';

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
  configured: Deployment,
  endpoint: Endpoint,
  body: Record<string, unknown>,
  opts: BuildOptions,
): ProviderRequest {
  const config = providerConfig(configured);
  const deployment = config.wireModel === undefined ? configured : { ...configured, providerModel: config.wireModel(configured.providerModel) };
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
  const wire = wireEndpoint(config, endpoint);
  const { root, custom } = resolveRoot(deployment, config);
  const apiKey = resolveApiKey(deployment, config, custom);
  const headers: Record<string, string> = {
    ...config.headers,
    'content-type': 'application/json',
    // A stream is asked for in its provider's framing (Bedrock's AWS event stream), SSE otherwise.
    accept: opts.stream && ENDPOINTS[endpoint].streams ? (config.streamFraming?.contentType ?? 'text/event-stream') : 'application/json',
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
  const { body: text, translation } = requestBody(deployment, config, endpoint, body, opts);
  return { url, method: 'POST', headers, body: text, ...(translation === undefined ? {} : { translation }) };
}

/** What `build` throws about a field of the via endpoint's body, about the client's field instead. */
function inClientTerms<T>(transforms: EndpointTransforms, clientBody: Readonly<Record<string, unknown>>, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof GatewayError) || error.param === null || transforms.clientParam === undefined) throw error;
    const param = transforms.clientParam(error.param, clientBody);
    if (param === error.param) throw error;
    const { status, type, code, message, retryAfterSeconds, providerReached } = error;
    throw new GatewayError({ status, type, code, message, param, providerReached, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
  }
}

/** The longest chain of endpoints served through others (responses -> chat -> completions). */
const MAX_VIA_DEPTH = 4;

/** The endpoint the provider is finally called on: the end of the chain of `via`s. */
function wireEndpoint(config: ProviderConfig, endpoint: Endpoint): Endpoint {
  let wire = endpoint;
  for (let depth = 0; depth < MAX_VIA_DEPTH; depth++) {
    const via = transformsFor(config, wire)?.via;
    if (via === undefined) return wire;
    wire = via;
  }
  throw misconfigured(`provider ${config.name} serves ${endpoint} through more than ${MAX_VIA_DEPTH} other endpoints`);
}

/**
 * The body the provider gets for an endpoint, and how its answers come back:
 * the client's bytes edited in place (no transforms), the endpoint's own
 * translation, or (`via`) a translation to another endpoint's body that is
 * then built as that endpoint's request is, through the provider's own
 * transforms of it when it has them (responses -> chat -> Anthropic's
 * messages; chat -> completions); the answers are chained back in reverse.
 */
/** The request's body and translation, and (`built`) the endpoint's body object when it was built anyway. */
type RequestBody = Pick<ProviderRequest, 'body' | 'translation'> & { built?: Record<string, unknown> };

/** The endpoint's body as text; without client bytes to edit in place it is the built object, kept for the caller. */
function editedBody(deployment: Deployment, config: ProviderConfig, endpoint: Endpoint, body: Record<string, unknown>, opts: BuildOptions): { body: string; built?: Record<string, unknown> } {
  if (opts.bodyText !== undefined) return { body: providerBodyText(deployment, endpoint, body, opts, config.streamUsage) };
  const built = buildProviderBody(deployment, endpoint, body, opts, config.streamUsage);
  return { body: JSON.stringify(built), built };
}

function requestBody(
  deployment: Deployment,
  config: ProviderConfig,
  endpoint: Endpoint,
  body: Record<string, unknown>,
  opts: BuildOptions,
): RequestBody {
  const transforms = transformsFor(config, endpoint);
  if (transforms === undefined) return editedBody(deployment, config, endpoint, body, opts);
  const ctx = { deployment, stream: opts.stream };
  if (transforms.via === undefined) {
    if (transforms.request === undefined) {
      return { ...editedBody(deployment, config, endpoint, body, opts), translation: { transforms, ctx: { ...ctx, providerBody: body, clientBody: body } } };
    }
    const built = buildProviderBody(deployment, endpoint, body, opts, config.streamUsage);
    const providerBody = transforms.request(built, ctx);
    return { body: JSON.stringify(providerBody), built, translation: { transforms, ctx: { ...ctx, providerBody, clientBody: body } } };
  }
  const viaBody = transforms.request === undefined ? body : transforms.request(body, ctx);
  // The via endpoint's body is the gateway's own object: no client bytes to edit in place.
  const via = transforms.via;
  const inner = inClientTerms(transforms, body, () => requestBody(deployment, config, via, viaBody, { ...opts, bodyText: undefined }));
  // The via endpoint's body as the inner request built it (built once), else built here.
  const viaProviderBody = inner.built ?? buildProviderBody(deployment, via, viaBody, { ...opts, bodyText: undefined }, config.streamUsage);
  const outerCtx: ResponseContext = { ...ctx, providerBody: viaProviderBody, clientBody: body };
  if (inner.translation === undefined) return { body: inner.body, translation: { transforms, ctx: outerCtx } };
  return { body: inner.body, translation: { transforms: chained(transforms, outerCtx, inner.translation.transforms, inner.translation.ctx), ctx: outerCtx } };
}
