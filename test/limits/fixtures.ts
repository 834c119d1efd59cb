/** One metered deployment on the mock provider, with the limits given. */
export function meteredConfig(
  mockUrl: string,
  limits: { rpm?: number; tpm?: number; maxParallel?: number },
  options: { onLimiterUnavailable?: 'reject' | 'allow'; members?: number } = {},
): string {
  const entries: string[] = [];
  for (let i = 0; i < (options.members ?? 1); i++) {
    entries.push(`  - model_name: metered
    litellm_params:
      model: openai/metered-${i}
      api_base: ${mockUrl}
      api_key: sk-mock
${limits.rpm !== undefined ? `      rpm: ${limits.rpm}\n` : ''}${limits.tpm !== undefined ? `      tpm: ${limits.tpm}\n` : ''}${
      limits.maxParallel !== undefined ? `      max_parallel_requests: ${limits.maxParallel}\n` : ''
    }`);
  }
  return `model_list:
${entries.join('\n')}
general_settings:
  on_limiter_unavailable: ${options.onLimiterUnavailable ?? 'reject'}
`;
}

/** 40 characters of prompt: 10 tokens to the mock provider. */
export const PROMPT = 'x'.repeat(40);
/** 40 characters of reply: 10 completion tokens. */
export const REPLY = 'y'.repeat(40);

export function meteredRequest(extra: Record<string, unknown> = {}) {
  return { model: 'metered', messages: [{ role: 'user', content: PROMPT }], max_tokens: 10, ...extra };
}

export async function send(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
