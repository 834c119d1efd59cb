import { describe, expect, it } from 'vitest';
import { ConfigError, listedModels, parseGatewayConfig, resolveModel } from './index.js';
import type { Deployment } from './index.js';

function bedrock(params: string, env: Record<string, string | undefined> = {}, model = 'bedrock/anthropic.claude-3-haiku-20240307-v1:0'): Deployment {
  const config = parseGatewayConfig(`model_list:\n  - model_name: b\n    litellm_params: { model: "${model}"${params === '' ? '' : `, ${params}`} }\n`, { source: '<test>', env });
  return config.deployments[0]!;
}

function problems(params: string, env: Record<string, string | undefined> = {}): string[] {
  try {
    bedrock(params, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config: bedrock credentials, region and endpoint, as LiteLLM reads them', () => {
  it('config: aws_* litellm_params (os.environ/ references) sign the calls; the secret and token are secrets', () => {
    const d = bedrock('aws_access_key_id: os.environ/KID, aws_secret_access_key: os.environ/SK, aws_session_token: os.environ/TOK, aws_region_name: eu-central-1', {
      KID: 'AKIAFILE',
      SK: 'file-secret-key-123',
      TOK: 'file-session-token-456',
    });
    expect(d).toMatchObject({ provider: 'bedrock', apiBase: 'https://bedrock-runtime.eu-central-1.amazonaws.com', missingEnv: [], apiKey: null });
    expect(d.aws).toMatchObject({ accessKeyId: 'AKIAFILE', region: 'eu-central-1' });
    expect(d.aws?.secretAccessKey?.reveal()).toBe('file-secret-key-123');
    expect(JSON.stringify(d)).not.toContain('file-secret-key-123');
    expect(d.secrets()).toEqual(expect.arrayContaining(['file-secret-key-123', 'file-session-token-456']));
  });

  it('config: without params the standard AWS variables apply; the region is AWS_REGION_NAME, AWS_REGION, AWS_DEFAULT_REGION, else us-west-2', () => {
    const env = { AWS_ACCESS_KEY_ID: 'ASIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-token', AWS_DEFAULT_REGION: 'ap-south-1' };
    const d = bedrock('', env);
    expect(d.aws).toMatchObject({ accessKeyId: 'ASIAENV', region: 'ap-south-1' });
    expect(d.aws?.sessionToken?.reveal()).toBe('env-token');
    expect(bedrock('', { ...env, AWS_REGION: 'eu-west-3' }).aws?.region).toBe('eu-west-3');
    expect(bedrock('', { ...env, AWS_REGION: 'eu-west-3', AWS_REGION_NAME: 'ca-central-1' }).aws?.region).toBe('ca-central-1');
    expect(bedrock('').aws?.region).toBe('us-west-2');
    expect(bedrock('', { AWS_REGION: 'cn-north-1' }).apiBase).toBe('https://bedrock-runtime.cn-north-1.amazonaws.com.cn');
  });

  it('config: AWS_SESSION_TOKEN fills an unset aws_session_token, except beside a long-term (AKIA) key; empty strings are unset', () => {
    const env = { AWS_ACCESS_KEY_ID: 'ASIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-token' };
    const refs = 'aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID, aws_secret_access_key: os.environ/AWS_SECRET_ACCESS_KEY';
    expect(bedrock(refs, env).aws?.sessionToken?.reveal()).toBe('env-token');
    expect(bedrock('aws_access_key_id: AKIAFILE, aws_secret_access_key: file-secret-000', env).aws?.sessionToken).toBeNull();
    expect(bedrock('aws_access_key_id: AKIAFILE, aws_secret_access_key: file-secret-000, aws_session_token: own-token-1', env).aws?.sessionToken?.reveal()).toBe('own-token-1');
    expect(bedrock('aws_access_key_id: "", aws_secret_access_key: ""', env).aws?.accessKeyId).toBe('ASIAENV');
  });

  it('config: a model ARN names the region when aws_region_name does not', () => {
    const arn = 'bedrock/arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0';
    expect(bedrock('', { AWS_REGION: 'us-east-1' }, arn).aws?.region).toBe('eu-west-1');
    expect(bedrock('aws_region_name: eu-north-1', {}, arn).aws?.region).toBe('eu-north-1');
  });

  it('config: LiteLLM\'s model_id (a provisioned-throughput ARN) is what the call names, and its region the signing region', () => {
    const d = bedrock('model_id: "arn:aws:bedrock:ap-northeast-1:123456789012:provisioned-model/abc123"', { AWS_REGION: 'us-east-1' });
    expect(d.aws).toMatchObject({ modelId: 'arn:aws:bedrock:ap-northeast-1:123456789012:provisioned-model/abc123', region: 'ap-northeast-1' });
    expect(d.providerModel).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    expect(d.contextWindow).toBe(200_000);
  });

  it('config: one model in two regions is two deployments with ids of their own, whatever their order', () => {
    const entry = (region: string) => `  - model_name: c\n    litellm_params: { model: bedrock/anthropic.claude-v2, aws_region_name: ${region} }\n`;
    const ids = (text: string) => parseGatewayConfig(`model_list:\n${text}`, { source: '<test>', env: {} }).deployments.map((d) => [d.aws?.region, d.id]);
    const forward = ids(entry('us-east-1') + entry('eu-west-1'));
    expect(new Set(forward.map(([, id]) => id)).size).toBe(2);
    expect(ids(entry('eu-west-1') + entry('us-east-1'))).toEqual([forward[1], forward[0]]);
  });

  it('config: api_base wins over aws_bedrock_runtime_endpoint, which wins over AWS_BEDROCK_RUNTIME_ENDPOINT', () => {
    const env = { AWS_BEDROCK_RUNTIME_ENDPOINT: 'http://from-env.internal' };
    expect(bedrock('', env).apiBase).toBe('http://from-env.internal');
    expect(bedrock('aws_bedrock_runtime_endpoint: "https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com"', env).apiBase).toBe('https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com');
    expect(bedrock('api_base: "http://proxy.internal", aws_bedrock_runtime_endpoint: "http://other.internal"', env).apiBase).toBe('http://proxy.internal');
  });

  it('config: a Bedrock API key (api_key or AWS_BEARER_TOKEN_BEDROCK) is the deployment\'s key', () => {
    expect(bedrock('', { AWS_BEARER_TOKEN_BEDROCK: 'bedrock-api-key-abc' }).apiKey?.reveal()).toBe('bedrock-api-key-abc');
  });

  it('config: an unset referenced variable is named for the call; role, profile and web identity auth are refused; a bad region or endpoint is a problem', () => {
    expect(bedrock('aws_secret_access_key: os.environ/MISSING_SECRET').missingEnv).toEqual(['MISSING_SECRET']);
    expect(problems('aws_role_name: arn:aws:iam::1:role/r')).toEqual([expect.stringMatching(/^model_list\[0\]\.litellm_params\.aws_role_name: is not supported/)]);
    expect(problems('aws_profile_name: dev')).toHaveLength(1);
    expect(problems('aws_region_name: US_EAST')).toEqual(['model_list[0].litellm_params.aws_region_name: "US_EAST" is not an AWS region (lower-case letters, digits and -)']);
    expect(problems('aws_bedrock_runtime_endpoint: os.environ/EP', { EP: 'not a url' })).toEqual(['model_list[0].litellm_params.aws_bedrock_runtime_endpoint: the value of os.environ/EP is not an http(s) URL']);
  });

  it('config: bedrock/* serves any Bedrock model id, with the catalogue\'s limits (inference profiles too)', () => {
    const config = parseGatewayConfig('model_list:\n  - model_name: "bedrock/*"\n    litellm_params: { model: "bedrock/*" }\n', { source: '<test>', env: {} });
    const d = resolveModel(config, 'bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0')?.deployments[0];
    expect(d).toMatchObject({ provider: 'bedrock', providerModel: 'us.anthropic.claude-3-5-sonnet-20241022-v2:0', contextWindow: 200_000, apiBase: 'https://bedrock-runtime.us-west-2.amazonaws.com' });
    expect(listedModels(config)).toContain('bedrock/anthropic.claude-3-haiku-20240307-v1:0');
  });
});

describe('config: aws_* keys outside Bedrock', () => {
  it('config: an aws_* key on another provider\'s deployment is reported, not silently read', () => {
    const config = parseGatewayConfig('model_list:\n  - model_name: o\n    litellm_params: { model: openai/gpt-4o, aws_region_name: us-east-1 }\n', { source: '<test>', env: {} });
    expect(config.warnings).toEqual(['ignoring unsupported keys: model_list[0].litellm_params.aws_region_name']);
    expect(config.deployments[0]?.aws).toBeUndefined();
  });
});
