/**
 * A gateway config in LiteLLM format with `count` single-deployment models
 * (`model-0` ... on the mock provider), a three-deployment group `pool`, an
 * embedding model and an alias: the shape of the production incident that
 * fanned one request out to 38 models.
 */
export function manyModelsConfig(mockUrl: string, options: { count?: number; numRetries?: number; masterKey?: string } = {}): string {
  const count = options.count ?? 38;
  const entries: string[] = [];
  for (let i = 0; i < count; i++) {
    entries.push(`  - model_name: model-${i}
    litellm_params:
      model: openai/provider-model-${i}
      api_base: ${mockUrl}
      api_key: os.environ/MOCK_PROVIDER_KEY
      rpm: 100000`);
  }
  for (const member of ['a', 'b', 'c']) {
    entries.push(`  - model_name: pool
    litellm_params:
      model: openai/pool-${member}
      api_base: ${mockUrl}
      api_key: os.environ/MOCK_PROVIDER_KEY
      rpm: 100000`);
  }
  entries.push(`  - model_name: embed
    litellm_params:
      model: openai/embedding-model
      api_base: ${mockUrl}
      api_key: os.environ/MOCK_PROVIDER_KEY`);
  return `model_list:
${entries.join('\n')}
router_settings:
  num_retries: ${options.numRetries ?? 0}
  model_group_alias:
    smart: model-3
general_settings:
${options.masterKey ? `  master_key: ${options.masterKey}` : '  {}'}
`;
}

export const PROVIDER_KEY_ENV = { MOCK_PROVIDER_KEY: 'sk-provider-secret-123' };

export function chat(model: string, content = 'Say hello', extra: Record<string, unknown> = {}) {
  return { model, messages: [{ role: 'user', content }], ...extra };
}

export async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Response bodies in tests are checked field by field, so they are read untyped. */
export async function readJson(response: Response): Promise<any> {
  return response.json();
}
