import type { EndpointTransforms } from '../transforms.js';
import { ChatToMessagesStream } from './chat-stream-to-messages.js';
import { chatResponseToMessage, messagesRequestToChat } from './messages-to-chat.js';

/** Anthropic's /v1/messages served by an OpenAI-compatible deployment, through its chat completions. */
export const MESSAGES_VIA_CHAT: EndpointTransforms = {
  via: 'chat.completions',
  request: (body) => messagesRequestToChat(body),
  response: (json) => chatResponseToMessage(json),
  stream: () => new ChatToMessagesStream(),
};
