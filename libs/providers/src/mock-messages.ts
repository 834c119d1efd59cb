import { GatewayError } from '@switchyard/contracts';
import { MESSAGES_VIA_CHAT } from './anthropic/messages-via-chat.js';
import { misconfiguredFailure } from './failures.js';
import { callMock } from './mock.js';
import type { ProviderCall, ProviderResponse, StreamEvent } from './types.js';

/**
 * /v1/messages on the built-in mock provider, as on any OpenAI-compatible
 * deployment: translated to a chat call of the mock and back, so the default
 * configuration answers Anthropic clients too.
 */
export async function callMockMessages(call: ProviderCall): Promise<ProviderResponse> {
  const ctx = { deployment: call.deployment, stream: call.stream };
  let chat: Record<string, unknown>;
  try {
    chat = MESSAGES_VIA_CHAT.request!(call.body, ctx);
  } catch (err) {
    if (err instanceof GatewayError) return misconfiguredFailure(err);
    throw err;
  }
  const { bodyText: _unused, ...rest } = call;
  const response = await callMock({ ...rest, endpoint: 'chat.completions', body: chat, wantUsage: true });
  const responseCtx = { ...ctx, providerBody: chat };
  if (response.kind === 'json') {
    const translated = MESSAGES_VIA_CHAT.response(JSON.parse(response.body.toString('utf8')), responseCtx);
    return { ...response, body: Buffer.from(JSON.stringify(translated.body)), usage: translated.usage };
  }
  if (response.kind === 'stream') {
    const translator = MESSAGES_VIA_CHAT.stream(responseCtx);
    const source = response.events;
    async function* events(): AsyncGenerator<StreamEvent, void, undefined> {
      for await (const event of source) yield* translator.push({ event: undefined, data: event.data });
      yield* translator.end();
    }
    return { ...response, events: events() };
  }
  return response;
}
