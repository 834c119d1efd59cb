/**
 * The config used when no file is given (`SWITCHYARD_CONFIG` unset): mock
 * deployments only, so a fresh checkout answers requests with no provider key
 * and no paid call can happen by accident.
 */
export const DEFAULT_CONFIG_SOURCE = '<default>';

export const DEFAULT_CONFIG_YAML = `# Built-in Switchyard config: mock provider only.
model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: mock/gpt-4o-mini
      mock_latency_ms: 20
  - model_name: mock-chat
    litellm_params:
      model: mock/mock-chat
  - model_name: text-embedding-3-small
    litellm_params:
      model: mock/text-embedding-3-small
    model_info:
      mode: embedding

router_settings:
  routing_strategy: simple-shuffle
  model_group_alias:
    # OpenAI SDK examples ask for gpt-4o; here it answers from the mock.
    gpt-4o: gpt-4o-mini

general_settings:
  on_limiter_unavailable: reject
`;
