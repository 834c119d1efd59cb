/**
 * Two mock-backed models behind an adaptive router: `budget` (tier 1, cheap)
 * and `frontier` (tier 3, strong at code, expensive).
 */
export function routerConfig(mockUrl: string, options: { explorationRate?: number; weights?: { quality: number; cost: number } } = {}): string {
  const weights = options.weights ?? { quality: 0.7, cost: 0.3 };
  return `model_list:
  - model_name: budget
    litellm_params: { model: openai/budget-model, api_base: ${mockUrl}, api_key: sk-mock, input_cost_per_token: 0.0000002 }
    model_info:
      adaptive_router_preferences: { quality_tier: 1, strengths: [factual_lookup] }
  - model_name: frontier
    litellm_params: { model: openai/frontier-model, api_base: ${mockUrl}, api_key: sk-mock, input_cost_per_token: 0.00001 }
    model_info:
      adaptive_router_preferences: { quality_tier: 3, strengths: [code_generation] }
  - model_name: smart
    litellm_params:
      model: auto_router/adaptive_router
      adaptive_router_config:
        available_models: [budget, frontier]
        weights: { quality: ${weights.quality}, cost: ${weights.cost} }
        exploration_rate: ${options.explorationRate ?? 1}
`;
}

export type Message = { role: string; content: string };

export async function chatWith(url: string, messages: Message[], headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'smart', messages, ...extra }),
  });
  const text = await response.text();
  return { response, text, model: response.headers.get('x-switchyard-router-model') };
}
