export const MASTER_KEY = 'sk-keys-test-master-5151';
export const PROVIDER_KEY_ENV = { MOCK_PROVIDER_KEY: 'sk-provider-secret-keys' };

/**
 * A LiteLLM-format config with a master key: three plain models on the mock
 * provider, a wildcard route and an alias, and a deployment limit far above
 * what the tests send (so only the key and team limits can refuse).
 */
export function keysConfig(mockUrl: string, extraGeneral = ''): string {
  const model = (name: string, providerModel: string) => `  - model_name: ${name}
    litellm_params:
      model: openai/${providerModel}
      api_base: ${mockUrl}
      api_key: os.environ/MOCK_PROVIDER_KEY
      rpm: 100000`;
  return `model_list:
${model('model-a', 'provider-a')}
${model('model-b', 'provider-b')}
${model('model-c', 'provider-c')}
router_settings:
  model_group_alias:
    fast: model-a
general_settings:
  master_key: ${MASTER_KEY}
${extraGeneral}`;
}

/** A management call as a LiteLLM script makes it: JSON in, JSON out, the master key as bearer. */
export async function admin(url: string, method: 'GET' | 'POST', path: string, body?: unknown, key = MASTER_KEY): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A chat request with the given key, as curl would send it. */
export async function chatWith(url: string, key: string, model: string, extra: Record<string, unknown> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }], ...extra }),
    ...(signal ? { signal } : {}),
  });
}

/** How long one probe of awaitStatus may take: a request sent while the bus reconnects can wait out its deployment timeout. */
const PROBE_TIMEOUT_MS = 3_000;

/**
 * Sends chats until one is answered with `status` (a change reaches a replica
 * through its KV watch), then returns that answer's JSON body.
 */
export async function awaitStatus(url: string, key: string, model: string, status: number, timeoutMs = 5_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let answer: { status: number; body: any };
    try {
      const response = await chatWith(url, key, model, {}, AbortSignal.timeout(PROBE_TIMEOUT_MS));
      answer = { status: response.status, body: await response.json() };
    } catch (error) {
      if ((error as Error).name !== 'TimeoutError') throw error;
      answer = { status: 0, body: 'no answer in time' };
    }
    if (answer.status === status) return answer.body;
    if (Date.now() > deadline) throw new Error(`${url}: ${model} with the key still answers ${answer.status}, not ${status}: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
