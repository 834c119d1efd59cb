import type { Endpoint } from '@switchyard/contracts';
import { MESSAGES_VIA_CHAT } from './anthropic/messages-via-chat.js';
import type { ProviderConfig } from './providers/base.js';
import { RESPONSES_VIA_CHAT } from './responses/via-chat.js';
import type { EndpointTransforms, RawSseEvent, ResponseContext, StreamTranslator } from './transforms.js';
import type { StreamEvent } from './types.js';

/*
 * Client protocols served through chat completions. Any provider that serves
 * chat, whether as OpenAI's passthrough or through a chat transform of its
 * own (Anthropic, and any provider added later), serves these endpoints too,
 * without listing them: the request is translated to chat, then sent as that
 * provider sends chat; the answer comes back the same way in reverse.
 */
export const VIA_CHAT: Readonly<Partial<Record<Endpoint, EndpointTransforms>>> = {
  messages: MESSAGES_VIA_CHAT,
  responses: RESPONSES_VIA_CHAT,
};

const servesChat = (config: ProviderConfig): boolean => config.endpoints.includes('chat.completions');

/** Whether a provider serves an endpoint: one it lists, or one that goes through its chat. */
export function servesEndpoint(config: ProviderConfig, endpoint: Endpoint): boolean {
  return config.endpoints.includes(endpoint) || (VIA_CHAT[endpoint] !== undefined && servesChat(config));
}

/**
 * How a provider serves an endpoint: its own transforms (a provider that
 * serves messages or responses natively says so with a passthrough transform,
 * as Anthropic and OpenAI do); else, for an endpoint that comes with chat,
 * its translation to chat; else none (the client's bytes, edited in place).
 */
export function transformsFor(config: ProviderConfig, endpoint: Endpoint): EndpointTransforms | undefined {
  return config.transforms[endpoint] ?? (servesChat(config) ? VIA_CHAT[endpoint] : undefined);
}

/** One stream through two translators: the provider's (to chat chunks), then the client protocol's (from them). */
class ChainedStream implements StreamTranslator {
  readonly #inner: StreamTranslator;
  readonly #outer: StreamTranslator;

  constructor(inner: StreamTranslator, outer: StreamTranslator) {
    this.#inner = inner;
    this.#outer = outer;
  }

  #through(events: StreamEvent[]): StreamEvent[] {
    return events.flatMap((event) => this.#outer.push({ event: event.event, data: event.data }));
  }

  push(event: RawSseEvent): StreamEvent[] {
    return this.#through(this.#inner.push(event));
  }

  end(): StreamEvent[] {
    return [...this.#through(this.#inner.end()), ...this.#outer.end()];
  }
}

/**
 * A via-chat endpoint's answers when the provider translates its chat too:
 * the provider's answer becomes chat (`inner`, with the context of the
 * provider's body), then the client's protocol (`outer`, with the context of
 * the chat body). Usage is the provider's own where it reports one.
 */
export function chained(outer: EndpointTransforms, outerCtx: ResponseContext, inner: EndpointTransforms, innerCtx: ResponseContext): EndpointTransforms {
  // What the client adds when the answer arrives (the provider's response headers) reaches both.
  const withArrival = (base: ResponseContext, ctx: ResponseContext): ResponseContext => (ctx.headers === undefined ? base : { ...base, headers: ctx.headers });
  return {
    response(json, ctx) {
      const provider = inner.response(json, withArrival(innerCtx, ctx));
      const client = outer.response(provider.body ?? json, withArrival(outerCtx, ctx));
      return { ...client, usage: provider.usage ?? client.usage };
    },
    stream: (ctx) => new ChainedStream(inner.stream(withArrival(innerCtx, ctx)), outer.stream(withArrival(outerCtx, ctx))),
  };
}
