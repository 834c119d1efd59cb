import type { EndpointTransforms } from '../transforms.js';
import { chatRequestToMessages } from '../anthropic/request.js';
import { isJsonMode, messageToChatResponse } from '../anthropic/response.js';
import { AnthropicStreamTranslator } from '../anthropic/stream.js';

/** The Messages API version Vertex AI's Claude models take, in the body (there is no anthropic-version header). */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/**
 * Claude on Vertex AI (rawPredict / streamRawPredict): Anthropic's Messages
 * body without `model` (it is in the URL) and with `anthropic_version`;
 * Anthropic's answers and streams, read by the Anthropic transforms.
 */
export const VERTEX_CLAUDE_CHAT: EndpointTransforms = {
  request: (body) => {
    const { model: _model, ...messages } = chatRequestToMessages(body);
    return { anthropic_version: VERTEX_ANTHROPIC_VERSION, ...messages };
  },
  response: (json, ctx) => messageToChatResponse(json, isJsonMode(ctx.providerBody)),
  stream: (ctx) => new AnthropicStreamTranslator(ctx.deployment.id, isJsonMode(ctx.providerBody)),
};
