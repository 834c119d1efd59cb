import type { Deployment } from '@switchyard/config';
import type { CallOutcome, Endpoint, OpenAIErrorBody, Usage } from '@switchyard/contracts';
import type { EndpointTransforms, ResponseContext } from './transforms.js';

/** One provider call: the upstream-caller builds it from a call envelope and the raw body. */
export interface ProviderCall {
  deployment: Deployment;
  endpoint: Endpoint;
  /** The client's OpenAI body, already validated by the ingress. Not mutated. */
  body: Record<string, unknown>;
  /** The same body exactly as the client sent it: the provider receives this text, edited in place. */
  bodyText?: string;
  stream: boolean;
  /** The client asked for `stream_options.include_usage`; upstream usage is requested regardless. */
  wantUsage: boolean;
  signal?: AbortSignal;
  /** The client's anthropic-beta flags (validated by the ingress); sent only to Anthropic deployments. */
  anthropicBeta?: string | null;
}

/** The request as it goes on the wire; header names are lower-case. */
export interface ProviderRequest {
  url: string;
  method: 'POST' | 'GET' | 'DELETE';
  headers: Record<string, string>;
  /** Empty for a GET or DELETE. */
  body: string;
  /** Set for a provider that does not speak OpenAI: how its answers become OpenAI's. */
  translation?: { transforms: EndpointTransforms; ctx: ResponseContext };
}

export interface BuildOptions {
  stream: boolean;
  wantUsage: boolean;
  /** The client's body as it arrived; without it the provider gets the parsed body serialised. */
  bodyText?: string | undefined;
  anthropicBeta?: string | null | undefined;
}

/** One SSE event of a provider stream. */
export interface StreamEvent {
  /** The event's `data` exactly as the provider sent it (`[DONE]` for the terminator). */
  data: string;
  /** The SSE `event:` name the client gets (Anthropic's streams name every event); OpenAI's have none. */
  event?: string;
  usage: Usage | null;
  /** OpenAI's final usage chunk (`usage` set, `choices: []`): drop it when the client did not ask for usage. */
  usageOnly: boolean;
  /** Set on the event that names a response the provider stores (the Responses API's response.created). */
  storedResponseId?: string;
}

export type FailureOutcome = Exclude<CallOutcome, 'ok'>;

export interface JsonResponse {
  kind: 'json';
  status: number;
  contentType: string;
  /** The provider's body, byte for byte, so the gateway relays it without re-serialising. */
  body: Buffer;
  usage: Usage | null;
  headers: Record<string, string>;
  /** The id of a response the provider stores (the Responses API with store on). */
  storedResponseId?: string;
}

export interface StreamResponse {
  kind: 'stream';
  status: number;
  headers: Record<string, string>;
  /** Iterate once. Throws `ProviderStreamError` when the stream breaks before it ends. */
  events: AsyncIterable<StreamEvent>;
}

export interface FailureResponse {
  kind: 'failure';
  /** The status the gateway answers the client with (see failures.ts for the mapping). */
  status: number;
  /** What the provider answered, when it answered at all. */
  providerStatus: number | null;
  outcome: FailureOutcome;
  /**
   * The provider certainly did no billable work for this attempt, so another
   * attempt cannot double-bill. See the rule in failures.ts.
   */
  definite: boolean;
  /** Worth another attempt (on this or another deployment) when retries are configured. */
  retryable: boolean;
  error: OpenAIErrorBody;
  retryAfterSeconds: number | null;
}

export type ProviderResponse = JsonResponse | StreamResponse | FailureResponse;

/** GET or DELETE of a response stored at the deployment that made it (OpenAI, Azure). */
export interface StoredResponseProviderCall {
  deployment: Deployment;
  operation: 'retrieve' | 'delete';
  responseId: string;
  signal?: AbortSignal;
}

export interface ProviderClient {
  send(call: ProviderCall): Promise<ProviderResponse>;
  /** One GET or DELETE of a stored response: a `json` answer (the provider's bytes) or a failure, as `send`'s. */
  sendStored(call: StoredResponseProviderCall): Promise<ProviderResponse>;
  /** Lets calls in flight finish, then closes the pooled connections. */
  close(): Promise<void>;
}

export interface ProviderClientOptions {
  /** Sockets kept per provider origin (default 128). */
  connectionsPerOrigin?: number;
  /** How long an idle socket stays open for reuse (default 30 s). */
  keepAliveTimeoutMs?: number;
}

/**
 * A stream that broke after the provider started answering. Never definite:
 * the provider has already done (and billed) at least part of the work.
 */
export class ProviderStreamError extends Error {
  readonly outcome: 'connection_error' | 'timeout' | 'cancelled' | 'invalid_response';
  readonly definite = false as const;
  readonly deploymentId: string;

  constructor(
    outcome: ProviderStreamError['outcome'],
    deploymentId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderStreamError';
    this.outcome = outcome;
    this.deploymentId = deploymentId;
  }
}
