import { expect } from 'vitest';
import { post } from '../request-path/fixtures.js';

export { chat, post, readJson, PROVIDER_KEY_ENV } from '../request-path/fixtures.js';

export interface TestDeployment {
  group: string;
  /** The mock provider's model name: its behaviour and call count are per model. */
  model: string;
  params?: Record<string, string | number | boolean>;
}

/** A LiteLLM config of mock-provider deployments plus the given router_settings / general_settings YAML. */
export function reliabilityConfig(mockUrl: string, deployments: TestDeployment[], routerSettings: string, generalSettings = '{}'): string {
  const entries = deployments.map(({ group, model, params = {} }) => {
    const extra = Object.entries(params).map(([key, value]) => `\n      ${key}: ${value}`);
    return `  - model_name: ${group}
    litellm_params:
      model: openai/${model}
      api_base: ${mockUrl}
      api_key: os.environ/MOCK_PROVIDER_KEY${extra.join('')}
    model_info: { id: ${model} }`;
  });
  return `model_list:\n${entries.join('\n')}\nrouter_settings:\n${indent(routerSettings)}\ngeneral_settings: ${generalSettings}\n`;
}

function indent(yaml: string): string {
  const lines = yaml.trim().split('\n').filter((line) => line.trim() !== '');
  return lines.length === 0 ? '  {}' : lines.map((line) => `  ${line}`).join('\n');
}

/** What the client sees of a request's attempts (Switchyard's and LiteLLM's headers). */
export function attemptHeaders(response: Response) {
  return {
    attempts: response.headers.get('x-switchyard-attempts'),
    fallbacks: response.headers.get('x-switchyard-fallbacks'),
    retries: response.headers.get('x-litellm-attempted-retries'),
    litellmFallbacks: response.headers.get('x-litellm-attempted-fallbacks'),
    modelId: response.headers.get('x-litellm-model-id'),
    modelGroup: response.headers.get('x-litellm-model-group'),
  };
}

export const CONTEXT_WINDOW_ERROR = {
  error: { message: "This model's maximum context length is 8192 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' },
};

export const CONTENT_POLICY_ERROR = {
  error: { message: 'Your request was rejected as a result of our safety system.', type: 'invalid_request_error', param: null, code: 'content_policy_violation' },
};

/** Posts a chat request and checks the response status. */
export async function chatAt(
  url: string,
  model: string,
  expectedStatus: number,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Response> {
  const response = await post(url, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'Say hello' }], ...extra }, headers);
  expect(response.status, await response.clone().text()).toBe(expectedStatus);
  return response;
}
