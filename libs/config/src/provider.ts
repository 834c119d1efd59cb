import { vendorOfBareName } from './catalogue.js';
import { PROVIDERS } from './model.js';
import type { ProviderName } from './model.js';

/**
 * `litellm_params.model` -> the provider and its model id, as LiteLLM's
 * `get_llm_provider` reads it: a known `provider/` prefix names the provider
 * (the model id may itself hold slashes: `hosted_vllm/meta-llama/...`); a bare
 * name belongs to the vendor whose model it is, OpenAI when no one claims it.
 * A provider Switchyard cannot call yet is a refusal that names it: never a
 * call to another vendor with that vendor's key.
 */

export type ModelTarget =
  | { kind: 'ok'; provider: ProviderName; providerModel: string }
  | { kind: 'unsupported'; provider: string; message: string }
  | { kind: 'invalid'; message: string };

/** LiteLLM prefixes that reach a server Switchyard calls through one of its own providers. */
const SAME_SERVER: Readonly<Record<string, ProviderName>> = {
  // LiteLLM's Ollama chat route; Switchyard talks to the same server through its OpenAI-compatible API.
  ollama_chat: 'ollama',
  // LiteLLM's name for "an OpenAI-compatible server at api_base".
  custom_openai: 'openai',
  // LiteLLM sends cohere/ and cohere_chat/ chat models to the same v2 chat API
  // (get_llm_provider_logic.py: handle_cohere_chat_model_custom_llm_provider).
  cohere_chat: 'cohere',
  // LiteLLM's vllm/ loads the model into its own process; a gateway cannot, so
  // it calls the vLLM server at api_base, as hosted_vllm/ does (see deployment.ts' warning).
  vllm: 'hosted_vllm',
};

/**
 * Bare names LiteLLM gives a provider without a prefix, which the model
 * catalogue does not know: Cohere's (litellm.cohere_chat_models and
 * cohere_embedding_models: `command-r`, `command-a-03-2025`, `embed-english-v3.0`)
 * and OpenAI's completion-only models (litellm.open_ai_text_completion_models).
 */
const BARE_NAMES: ReadonlyArray<readonly [RegExp, ProviderName]> = [
  [/^command(-[a-z0-9.-]+)?$/, 'cohere'],
  [/^embed-(english|multilingual)(-light)?-v\d(\.\d)?$|^embed-v\d(\.\d)?$/, 'cohere'],
  [/^(gpt-3\.5-turbo-instruct(-\d{4})?|davinci-002|babbage-002|text-davinci-00[1-3]|text-(curie|babbage|ada)-001)$/, 'text-completion-openai'],
];

const SUPPORTED = PROVIDERS.join(', ');

function unsupported(provider: string, detail = ''): ModelTarget {
  return { kind: 'unsupported', provider, message: `provider "${provider}" is not supported${detail} (supported: ${SUPPORTED})` };
}

export function parseModelTarget(model: string): ModelTarget {
  // LiteLLM: a bare `*` is an OpenAI wildcard.
  if (model === '*') return { kind: 'ok', provider: 'openai', providerModel: '*' };
  const slash = model.indexOf('/');
  if (slash === -1) return bareName(model);
  const prefix = model.slice(0, slash);
  const providerModel = model.slice(slash + 1);
  const provider = (PROVIDERS as readonly string[]).includes(prefix) ? (prefix as ProviderName) : SAME_SERVER[prefix];
  if (provider === undefined) return unsupported(prefix);
  if (providerModel === '') return { kind: 'invalid', message: `"${model}" names no model after "${prefix}/"` };
  if (provider === 'bedrock') return bedrockTarget(model, providerModel);
  return { kind: 'ok', provider, providerModel };
}

/**
 * LiteLLM's Bedrock routes: `bedrock/<model id>` and `bedrock/converse/<model id>`
 * are both the Converse API, which is how Switchyard calls every Bedrock chat
 * model. `bedrock/invoke/...` (each vendor's own InvokeModel body) and the
 * other route prefixes are not mapped: refused rather than sent another way.
 */
function bedrockTarget(model: string, rest: string): ModelTarget {
  const id = rest.startsWith('converse/') ? rest.slice('converse/'.length) : rest;
  const route = /^(invoke|agent|agentcore|llama|deepseek_r1|openai|qwen2|qwen3|moonshot|nova|nova-2|claude_platform|mantle|async_invoke)\//.exec(id);
  if (route !== null) {
    return { kind: 'unsupported', provider: `bedrock/${route[1]!}`, message: `"${model}": LiteLLM's bedrock/${route[1]!}/ route is not supported; Switchyard calls Bedrock chat models through Converse (write bedrock/<model id>)` };
  }
  if (id === '') return { kind: 'invalid', message: `"${model}" names no model` };
  return { kind: 'ok', provider: 'bedrock', providerModel: id };
}

function bareName(model: string): ModelTarget {
  const known = BARE_NAMES.find(([pattern]) => pattern.test(model));
  if (known !== undefined) return { kind: 'ok', provider: known[1], providerModel: model };
  const vendor = vendorOfBareName(model);
  if (vendor === null || vendor === 'openai') return { kind: 'ok', provider: 'openai', providerModel: model };
  // LiteLLM sends a bare claude name to Anthropic (litellm.anthropic_models), so does Switchyard.
  if (vendor === 'anthropic') return { kind: 'ok', provider: 'anthropic', providerModel: model };
  // And a Bedrock model id (`anthropic.claude-...`, `us.amazon.nova-...`) to Bedrock (litellm.bedrock_models).
  if (vendor === 'bedrock') return { kind: 'ok', provider: 'bedrock', providerModel: model };
  if ((PROVIDERS as readonly string[]).includes(vendor)) {
    // LiteLLM infers no provider for these names either; guessing OpenAI would send this vendor's key there.
    return {
      kind: 'invalid',
      message: `"${model}" is a model of ${vendor} and names no provider: write ${vendor}/${model}`,
    };
  }
  return unsupported(
    vendor,
    ` ("${model}" is a model of ${vendor}, and LiteLLM sends a bare name to its vendor; for an OpenAI-compatible server serving it, write openai/${model})`,
  );
}

/** The `provider/` prefix of a model string, when it has one (for messages). */
export function providerPrefix(model: string): string | null {
  const slash = model.indexOf('/');
  return slash === -1 ? null : model.slice(0, slash);
}
