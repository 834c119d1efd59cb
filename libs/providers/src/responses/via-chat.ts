import type { EndpointTransforms } from '../transforms.js';
import { ChatToResponsesStream } from './chat-stream-to-responses.js';
import { chatResponseToResponse } from './chat-to-response.js';
import { responsesParamOfChat, responsesRequestToChat } from './request-to-chat.js';

/** The Responses API served by a deployment's chat completions (whatever the provider's own chat protocol). */
export const RESPONSES_VIA_CHAT: EndpointTransforms = {
  via: 'chat.completions',
  request: (body) => responsesRequestToChat(body),
  clientParam: (param, body) => responsesParamOfChat(param, body),
  response: (json, ctx) => chatResponseToResponse(json, ctx.clientBody ?? {}),
  stream: (ctx) => new ChatToResponsesStream(ctx.clientBody ?? {}),
};
