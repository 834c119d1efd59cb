import type { Deployment } from '@switchyard/config';
import type { Endpoint, Usage } from '@switchyard/contracts';
import type { StreamEvent } from './types.js';

/*
 * The provider seam. An OpenAI-compatible provider has no transforms: the
 * client's bytes go out edited in place and come back relayed as they are
 * (the "passthrough", see provider-body.ts). A provider that speaks another
 * API gives, per endpoint, the functions below; the client applies them and
 * nothing else in the gateway knows the provider's shapes.
 */

export interface TransformContext {
  deployment: Deployment;
  stream: boolean;
}

/** What the response transforms know: the body the request transform sent. */
export interface ResponseContext extends TransformContext {
  providerBody: Readonly<Record<string, unknown>>;
  /** The client's body as it was validated: an answer shaped by a client field (embeddings' encoding_format; the request a Response echoes). */
  clientBody?: Readonly<Record<string, unknown>>;
  /** The provider's response headers, scrubbed (a usage count some providers send only there). */
  headers?: Readonly<Record<string, string>>;
}

/** One SSE event as the provider framed it (`event:` name when it sends one). */
export interface RawSseEvent {
  event: string | undefined;
  data: string;
}

/** Turns one provider stream into OpenAI chunks, event by event; one instance per stream. */
export interface StreamTranslator {
  /** The OpenAI events this provider event becomes (often none: pings, block stops). */
  push(event: RawSseEvent): StreamEvent[];
  /** What the stream's end adds (the `[DONE]` terminator). */
  end(): StreamEvent[];
}

export interface TranslatedResponse {
  /** The client's body; null relays the provider's bytes as they are. */
  body: Record<string, unknown> | null;
  usage: Usage | null;
  /** The id of a response the provider stores (the Responses API with store on): the gateway routes its retrieval. */
  storedResponseId?: string;
}

export interface EndpointTransforms {
  /**
   * The provider endpoint the request is sent to, when it is not the
   * client's (Anthropic's messages sent to an OpenAI server as chat): the
   * request is translated first, then edited as that endpoint's body is,
   * then goes through the provider's own transforms of that endpoint when
   * it has them (chat -> Anthropic's messages); answers come back the same
   * way in reverse (see via-chat.ts).
   */
  via?: Endpoint;
  /**
   * The client's body as the provider's body (without `via`: after the model
   * and deployment defaults are applied). Absent: the client's bytes go out
   * edited in place, as for OpenAI-compatible providers. Throws a
   * `GatewayError` (400) for what the provider cannot do, before anything is sent.
   */
  request?(body: Record<string, unknown>, ctx: TransformContext): Record<string, unknown>;
  /**
   * With `via`: the path of a field of the `via` endpoint's body (which a
   * 400 of the provider's own transform names) in the client's body, so the
   * client is told about a field it sent. Absent: the paths are the same.
   */
  clientParam?(viaParam: string, clientBody: Readonly<Record<string, unknown>>): string;
  /** The provider's 2xx JSON as OpenAI's response, with the usage settlement reads. */
  response(json: unknown, ctx: ResponseContext): TranslatedResponse;
  stream(ctx: ResponseContext): StreamTranslator;
}
