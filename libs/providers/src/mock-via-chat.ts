import { GatewayError } from '@switchyard/contracts';
import { misconfiguredFailure } from './failures.js';
import { callMock } from './mock.js';
import type { EndpointTransforms } from './transforms.js';
import type { ProviderCall, ProviderResponse, StreamEvent } from './types.js';

/**
 * An endpoint served through chat (Anthropic's /v1/messages, OpenAI's
 * /v1/responses) on the built-in mock provider, as on any deployment that
 * serves chat: translated to a chat call of the mock and back, so the
 * default configuration answers those clients too.
 */
export async function callMockViaChat(call: ProviderCall, viaChat: EndpointTransforms): Promise<ProviderResponse> {
  const ctx = { deployment: call.deployment, stream: call.stream };
  let chat: Record<string, unknown>;
  try {
    chat = viaChat.request === undefined ? call.body : viaChat.request(call.body, ctx);
  } catch (err) {
    if (err instanceof GatewayError) return misconfiguredFailure(err);
    throw err;
  }
  const { bodyText: _unused, ...rest } = call;
  const response = await callMock({ ...rest, endpoint: 'chat.completions', body: chat, wantUsage: true });
  const responseCtx = { ...ctx, providerBody: chat, clientBody: call.body };
  if (response.kind === 'json') {
    const translated = viaChat.response(JSON.parse(response.body.toString('utf8')), responseCtx);
    return { ...response, body: Buffer.from(JSON.stringify(translated.body)), usage: translated.usage };
  }
  if (response.kind === 'stream') {
    const translator = viaChat.stream(responseCtx);
    const source = response.events;
    async function* events(): AsyncGenerator<StreamEvent, void, undefined> {
      for await (const event of source) yield* translator.push({ event: undefined, data: event.data });
      yield* translator.end();
    }
    return { ...response, events: events() };
  }
  return response;
}
