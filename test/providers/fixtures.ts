import type { BedrockCredentials } from '../harness/index.js';

export const MASTER_KEY = 'sk-test-master-bedrock';
export const REGION = 'us-east-1';

/** Temporary credentials, as an assumed role or SSO gives them: the session token is required. */
export const TEMPORARY: Required<BedrockCredentials> = {
  accessKeyId: 'ASIAMOCKTEMPORARY0001',
  secretAccessKey: 'mock/Secret+Access+Key/temporary/0123456789abcdef',
  sessionToken: 'IQoJb3JpZ2luX2VjEMOCKsessionTOKENvalue0123456789abcdefghijKLMNOP==',
};

/** Long-term credentials of the standard AWS variables (the `bedrock/*` route). */
export const LONG_TERM: BedrockCredentials = {
  accessKeyId: 'AKIAMOCKLONGTERM0002',
  secretAccessKey: 'mock/Secret+Access+Key/long-term/fedcba9876543210',
};

export const BEDROCK_ENV = {
  BEDROCK_KEY_ID: TEMPORARY.accessKeyId,
  BEDROCK_SECRET: TEMPORARY.secretAccessKey,
  BEDROCK_TOKEN: TEMPORARY.sessionToken,
  AWS_ACCESS_KEY_ID: LONG_TERM.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LONG_TERM.secretAccessKey,
  AWS_REGION: REGION,
  WRONG_SECRET: 'mock/Secret+Access+Key/WRONG/00000000000000',
  BEDROCK_API_KEY: 'ABSKmockBedrockApiKey0123456789abcdef',
};

export const CLAUDE = 'anthropic.claude-3-5-sonnet-20241022-v2:0';

/** Deployments on the Bedrock mock: chat, Titan and Cohere embeddings, a wildcard, and one whose secret is wrong. */
export function bedrockConfig(mockUrl: string): string {
  const temporary = `aws_access_key_id: os.environ/BEDROCK_KEY_ID
      aws_secret_access_key: os.environ/BEDROCK_SECRET
      aws_session_token: os.environ/BEDROCK_TOKEN
      aws_region_name: ${REGION}
      aws_bedrock_runtime_endpoint: ${mockUrl}`;
  return `model_list:
  - model_name: claude-bedrock
    litellm_params:
      model: bedrock/${CLAUDE}
      ${temporary}
      tpm: 1000000
  - model_name: titan-embed
    litellm_params:
      model: bedrock/amazon.titan-embed-text-v2:0
      ${temporary}
      tpm: 1000000
  - model_name: cohere-embed
    litellm_params:
      model: bedrock/cohere.embed-english-v3
      ${temporary}
  - model_name: "bedrock/*"
    litellm_params:
      model: "bedrock/*"
      api_base: ${mockUrl}
  - model_name: wrong-secret
    litellm_params:
      model: bedrock/converse/${CLAUDE}
      aws_access_key_id: os.environ/BEDROCK_KEY_ID
      aws_secret_access_key: os.environ/WRONG_SECRET
      aws_session_token: os.environ/BEDROCK_TOKEN
      aws_region_name: ${REGION}
      aws_bedrock_runtime_endpoint: ${mockUrl}
  - model_name: api-key
    litellm_params:
      model: bedrock/amazon.nova-lite-v1:0
      api_key: os.environ/BEDROCK_API_KEY
      aws_region_name: ${REGION}
      aws_bedrock_runtime_endpoint: ${mockUrl}
general_settings:
  master_key: ${MASTER_KEY}
`;
}
