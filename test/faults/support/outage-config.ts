/**
 * The gateway of outage and soak runs, on the mock provider: `chat` (two
 * members), `broken` (its provider answers 500: the mock is told so by model
 * name `broken-model`) and `smart`, an adaptive router over two models, so
 * the ingress uses Redis for sessions and the learner writes cells.
 */
export function outageConfig(mockUrl: string, options: { timeoutSeconds: number }): string {
  const member = (name: string, model: string, extra = ''): string =>
    `  - model_name: ${name}\n    litellm_params: { model: openai/${model}, api_base: ${mockUrl}, api_key: sk-mock, timeout: ${options.timeoutSeconds} }${extra}`;
  return [
    'model_list:',
    member('chat', 'outage-model-0'),
    member('chat', 'outage-model-1'),
    member('broken', 'broken-model'),
    member('budget', 'budget-model', '\n    model_info: { adaptive_router_preferences: { quality_tier: 1 } }'),
    member('frontier', 'frontier-model', '\n    model_info: { adaptive_router_preferences: { quality_tier: 3, strengths: [code_generation] } }'),
    '  - model_name: smart',
    '    litellm_params:',
    '      model: auto_router/adaptive_router',
    '      adaptive_router_config: { available_models: [budget, frontier], weights: { quality: 0.7, cost: 0.3 }, exploration_rate: 1 }',
    'router_settings:',
    '  num_retries: 0',
    'general_settings:',
    '  on_limiter_unavailable: reject',
    '',
  ].join('\n');
}
