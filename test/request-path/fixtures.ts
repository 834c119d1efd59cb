export interface ManyModelsOptions {
  count?: number;
  numRetries?: number;
  masterKey?: string;
  /** `general_settings.max_request_body_bytes`. */
  maxRequestBodyBytes?: number;
  /** Extra `litellm_params` of `model-<i>`, by i (e.g. `{ 4: { max_tokens: 77 } }`). */
  modelParams?: Record<number, Record<string, string | number>>;
}

/**
 * A gateway config in LiteLLM format with `count` single-deployment models
 * (`model-0` ... on the mock provider), a three-deployment group `pool`, an
 * embedding model and an alias: the shape of the production incident that
 * fanned one request out to 38 models.
 */
export function manyModelsConfig(mockUrl: string, options: ManyModelsOptions = {}): string {
  const count = options.count ?? 38;
  const entries: string[] = [];
  for (let i = 0; i < count; i++) {
    const extra = Object.entries(options.modelParams?.[i] ?? {}).map(([key, value]) => `\n      ${key}: ${value}`);
    entries.push(`  - model_name: model-${i}
    litellm_params:
      model: openai/provider-model-${i}
      api_base: ${mockUrl}
      api_key: os.environ/MOCK_PROVIDER_KEY
      rpm: 100000${extra.join('')}`);
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
${generalSettings(options)}
`;
}

function generalSettings(options: ManyModelsOptions): string {
  const lines: string[] = [];
  if (options.masterKey) lines.push(`  master_key: ${options.masterKey}`);
  if (options.maxRequestBodyBytes !== undefined) lines.push(`  max_request_body_bytes: ${options.maxRequestBodyBytes}`);
  return lines.length > 0 ? lines.join('\n') : '  {}';
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

/**
 * The events of a Server-Sent Events body, split on the blank line that ends
 * each one. A body that ends cleanly ends with a blank line, so the last
 * element of the split is dropped only when it is empty; `complete` says so.
 */
export function sseEvents(text: string): { events: string[]; complete: boolean } {
  const parts = text.split('\n\n');
  const complete = parts.at(-1) === '';
  return { events: complete ? parts.slice(0, -1) : parts, complete };
}

/** The JSON payloads of `data:` events (not `[DONE]`), read untyped as response bodies are. */
export function sseJson(events: string[]): any[] {
  return events.filter((event) => event.startsWith('data: {')).map((event) => JSON.parse(event.slice('data: '.length)));
}
