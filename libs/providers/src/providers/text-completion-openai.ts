import { openAICompatible, type ProviderConfig } from './base.js';
import { CHAT_VIA_COMPLETIONS } from '../text-completion/chat-via-completions.js';

/**
 * LiteLLM's `text-completion-openai/`: OpenAI's completions-only models
 * (gpt-3.5-turbo-instruct, davinci-002) on OpenAI's host and key. /v1/completions
 * goes out as it is; a chat request is translated to a completions call and back.
 * No embeddings. Anthropic's messages and the Responses API come through its chat
 * (via-chat.ts), and so through completions too.
 */
const base = openAICompatible({ name: 'text-completion-openai', defaultBaseUrl: 'https://api.openai.com/v1' });

export const textCompletionOpenai: ProviderConfig = {
  ...base,
  endpoints: ['chat.completions', 'completions'],
  transforms: { 'chat.completions': CHAT_VIA_COMPLETIONS },
};
