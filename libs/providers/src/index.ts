export { createProviderClient } from './client.js';
export { buildProviderBody, buildProviderRequest, providerBodyText, MISCONFIGURED } from './request.js';
export { parseSse, toStreamEvent, withoutNullUsage } from './sse.js';
export { usageFrom, usageOfResponses } from './usage.js';
export { parseRetryAfter } from './failures.js';
export { PROVIDER_CONFIGS } from './providers/index.js';
export { AZURE_DEFAULT_API_VERSION } from './providers/azure.js';
export { openAICompatible, ENDPOINT_PATHS } from './providers/base.js';
export type { HttpProviderName, ProviderConfig, OpenAICompatibleOptions } from './providers/base.js';
export {
  ProviderStreamError,
  type BuildOptions,
  type FailureOutcome,
  type FailureResponse,
  type JsonResponse,
  type ProviderCall,
  type ProviderClient,
  type ProviderClientOptions,
  type ProviderRequest,
  type ProviderResponse,
  type StoredResponseProviderCall,
  type StreamEvent,
  type StreamResponse,
} from './types.js';
export { countPromptTokens, countTextTokens, CountBudget, encodingFor, MAX_BPE_PIECE_CHARS, observeBpeInput, warmTokenizer, type Encoding } from './tokens.js';
export type { EndpointTransforms, RawSseEvent, StreamTranslator, TransformContext, TranslatedResponse } from './transforms.js';
export { applyParamMap, type ParamMap, type ParamRule } from './param-map.js';
export { anthropic } from './anthropic/index.js';
export { chatRequestToMessages } from './anthropic/request.js';
export { messageToChatResponse, usageOfAnthropic } from './anthropic/response.js';
export { AnthropicStreamTranslator } from './anthropic/stream.js';
export { messagesRequestToChat, chatResponseToMessage } from './anthropic/messages-to-chat.js';
export { ChatToMessagesStream } from './anthropic/chat-stream-to-messages.js';
export { VIA_CHAT, servesEndpoint, transformsFor } from './via-chat.js';
export { responsesRequestToChat } from './responses/request-to-chat.js';
export { chatResponseToResponse } from './responses/chat-to-response.js';
export { ChatToResponsesStream } from './responses/chat-stream-to-responses.js';
export { TRANSLATED_RESPONSE_PREFIX } from './responses/response-object.js';
export { buildStoredResponseRequest, storesResponses } from './responses/stored.js';
export { cohere } from './cohere/index.js';
export { chatRequestToCohere, embeddingsRequestToCohere } from './cohere/request.js';
export { cohereChatToOpenAI, cohereEmbedToOpenAI, usageOfCohere } from './cohere/response.js';
export { CohereStreamTranslator } from './cohere/stream.js';
export { chatRequestToCompletion, completionToChatResponse, CompletionToChatStream } from './text-completion/chat-via-completions.js';
export { bedrock } from './bedrock/index.js';
export { gemini } from './gemini/index.js';
export { vertexAi, vertexHost } from './vertex/index.js';
