export const MASTER_KEY = 'sk-test-master';
export const ANTHROPIC_KEY = 'sk-ant-test-secret-0123456789';

/** An `anthropic` deployment (`claude`, tpm-metered) and an `anthropic/*` wildcard, both on the Anthropic mock. */
export function anthropicConfig(mockUrl: string, extra = ''): string {
  return `model_list:
  - model_name: claude
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: ${mockUrl}
      api_key: os.environ/ANTHROPIC_API_KEY
      tpm: 1000000
  - model_name: "anthropic/*"
    litellm_params:
      model: "anthropic/*"
      api_base: ${mockUrl}
${extra}general_settings:
  master_key: ${MASTER_KEY}
`;
}

export const ANTHROPIC_ENV = { ANTHROPIC_API_KEY: ANTHROPIC_KEY };
