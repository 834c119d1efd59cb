import type { Deployment, ProviderName } from '@switchyard/config';
import { Endpoint, ENDPOINTS } from '@switchyard/contracts';
import type { EndpointTransforms, RawSseEvent } from '../transforms.js';
import { RESPONSES_PASSTHROUGH } from '../responses/passthrough.js';

export type HttpProviderName = Exclude<ProviderName, 'mock'>;

/**
 * Everything that differs between two OpenAI-compatible providers. A provider
 * module exports one of these; the request builder and the client are shared.
 */
export interface ProviderConfig {
  readonly name: HttpProviderName;
  /** Used when the deployment sets no api_base; null means api_base is required. */
  readonly defaultBaseUrl: string | null;
  /**
   * When a call needs a key. `default-base-only`: the provider's own host
   * needs one, but a custom api_base may be a keyless self-hosted server or proxy.
   */
  readonly apiKey: 'required' | 'optional' | 'default-base-only';
  /**
   * How the provider reports usage on streams: `stream_options` asks for
   * OpenAI's final usage chunk; `always` means it reports usage unasked and
   * rejects the `stream_options` field, so it is stripped.
   */
  readonly streamUsage: 'stream_options' | 'always';
  /** Turns the operator's api_base (no trailing slash) into the OpenAI-compatible root. */
  root(apiBase: string): string;
  /** `stream`: the client asked for a stream (Gemini and Bedrock stream from another path). */
  url(root: string, endpoint: Endpoint, deployment: Deployment, stream: boolean): string;
  authHeaders(apiKey: string): Record<string, string>;
  /**
   * Credentials that are not a static key: a request signature (AWS SigV4) or
   * an OAuth token (Vertex AI). Called with the built request just before it
   * is sent; the headers it returns are added. Throws `GatewayError`
   * (`deployment_misconfigured`) when the deployment cannot be authorised:
   * nothing was sent, so the failure is definite.
   */
  authorize?(request: Readonly<AuthorizableRequest>, deployment: Deployment, signal: AbortSignal): Promise<Record<string, string>>;
  /**
   * The secrets of one call among the headers `authorize` added (a
   * signature, a token), scrubbed from everything the provider sends back for
   * that call as the deployment's own secrets are. Absent: the value of the
   * `authorization` header it added, when it added one.
   */
  callSecrets?(added: Readonly<Record<string, string>>): string[];
  /**
   * How a 2xx stream is framed when it is not SSE (Bedrock's AWS event
   * stream): the content type it comes with and a decoder to events the
   * endpoint's stream translator reads.
   */
  readonly streamFraming?: StreamFraming;
  /**
   * A non-2xx body in the provider's own error shape, rewritten as OpenAI's
   * `{"error": {...}}` (with what only the headers say, such as Bedrock's
   * `x-amzn-errortype`) before failures.ts reads it. Absent: read as it is.
   */
  errorBody?(bodyText: string, headers: Readonly<Record<string, string>>): string;
  /** Headers every call carries, keyed lower-case (a version header). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The model id the provider's body carries, when it is not the configured one (Fireworks' `accounts/.../models/` path). */
  wireModel?(model: string): string;
  /** The endpoints the provider serves. */
  readonly endpoints: readonly Endpoint[];
  /**
   * How each endpoint is translated. An endpoint served without transforms
   * is the passthrough: the body edited in place (provider-body.ts) and the
   * answer relayed as it is, read as OpenAI's.
   */
  readonly transforms: Readonly<Partial<Record<Endpoint, EndpointTransforms>>>;
}

/** What `authorize` sees of the request: it signs these bytes. */
export type ProviderMethod = 'POST' | 'GET' | 'DELETE';

export interface AuthorizableRequest {
  url: string;
  method: ProviderMethod;
  headers: Readonly<Record<string, string>>;
  body: string;
}

export interface StreamFraming {
  /** The content type (without parameters) a stream of this framing arrives with. */
  readonly contentType: string;
  /** Raw body bytes -> events; throws when the framing is broken (read as a broken stream). */
  decode(body: AsyncIterable<Uint8Array>): AsyncIterable<RawSseEvent>;
}

export const ENDPOINT_PATHS: Readonly<Record<Endpoint, string>> = Object.fromEntries(
  Endpoint.options.map((endpoint) => [endpoint, ENDPOINTS[endpoint].path]),
) as Record<Endpoint, string>;

/**
 * What every OpenAI-compatible server serves as it is. Anthropic's messages
 * and OpenAI's responses come with chat, translated (via-chat.ts), unless a
 * provider serves them itself.
 */
export const OPENAI_ENDPOINTS: readonly Endpoint[] = ['chat.completions', 'completions', 'embeddings'];
export const OPENAI_TRANSFORMS: ProviderConfig['transforms'] = {};

/** OpenAI's own API, and Azure's: the Responses API passed through, read for usage and stored ids. */
export const NATIVE_RESPONSES_ENDPOINTS: readonly Endpoint[] = [...OPENAI_ENDPOINTS, 'responses'];
export const NATIVE_RESPONSES_TRANSFORMS: ProviderConfig['transforms'] = { responses: RESPONSES_PASSTHROUGH };

export interface OpenAICompatibleOptions {
  name: HttpProviderName;
  defaultBaseUrl: string | null;
  apiKey?: ProviderConfig['apiKey'];
  streamUsage?: ProviderConfig['streamUsage'];
  root?: ProviderConfig['root'];
  /** The endpoints the host really serves (default: every OpenAI endpoint). */
  endpoints?: readonly Endpoint[];
  wireModel?: ProviderConfig['wireModel'];
  /** The server serves /v1/responses itself (OpenAI): passed through rather than translated to chat. */
  nativeResponses?: boolean;
}

/** The base factory: bearer auth, `{root}/{endpoint path}`, OpenAI's own stream usage. */
export function openAICompatible(options: OpenAICompatibleOptions): ProviderConfig {
  return {
    name: options.name,
    defaultBaseUrl: options.defaultBaseUrl,
    apiKey: options.apiKey ?? 'default-base-only',
    streamUsage: options.streamUsage ?? 'stream_options',
    root: options.root ?? ((apiBase) => apiBase),
    url: (root, endpoint) => `${root}${ENDPOINT_PATHS[endpoint]}`,
    authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
    endpoints: options.endpoints ?? (options.nativeResponses === true ? NATIVE_RESPONSES_ENDPOINTS : OPENAI_ENDPOINTS),
    transforms: options.nativeResponses === true ? NATIVE_RESPONSES_TRANSFORMS : OPENAI_TRANSFORMS,
    ...(options.wireModel === undefined ? {} : { wireModel: options.wireModel }),
  };
}
