import type { ProviderConfig } from '../providers/base.js';
import type { EndpointTransforms } from '../transforms.js';
import { MESSAGES_PASSTHROUGH } from './passthrough.js';
import { chatRequestToMessages } from './request.js';
import { isJsonMode, messageToChatResponse } from './response.js';
import { ANTHROPIC_VERSION } from './shapes.js';
import { AnthropicStreamTranslator } from './stream.js';

const chat: EndpointTransforms = {
  request: (body) => chatRequestToMessages(body),
  response: (json, ctx) => messageToChatResponse(json, isJsonMode(ctx.providerBody)),
  stream: (ctx) => new AnthropicStreamTranslator(ctx.deployment.id, isJsonMode(ctx.providerBody)),
};

/**
 * Anthropic's Messages API. api_base is the host (LiteLLM's default
 * https://api.anthropic.com); one ending in /v1 or /v1/messages is taken as is.
 * Errors need no map of their own: Anthropic's `{"type":"error","error":{type,message}}`
 * reads as OpenAI's, and its 529 overloaded is a 5xx, so retryable.
 */
export const anthropic: ProviderConfig = {
  name: 'anthropic',
  defaultBaseUrl: 'https://api.anthropic.com',
  apiKey: 'default-base-only',
  streamUsage: 'always',
  root: (apiBase) => apiBase.replace(/\/v1(\/messages)?$/, ''),
  url: (root) => `${root}/v1/messages`,
  authHeaders: (apiKey) => ({ 'x-api-key': apiKey }),
  headers: { 'anthropic-version': ANTHROPIC_VERSION },
  endpoints: ['chat.completions', 'messages'],
  transforms: { 'chat.completions': chat, messages: MESSAGES_PASSTHROUGH },
};
