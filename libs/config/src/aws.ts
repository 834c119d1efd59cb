import { resolveEnvRef, toSecret } from './env-ref.js';
import type { LiteLLMParams } from './litellm-schema.js';
import type { AwsSettings } from './model.js';
import type { Problems } from './path.js';
import type { Secret } from './secret.js';
import { parseHttpUrl } from './url.js';

/*
 * A Bedrock deployment's credentials, region and endpoint, as LiteLLM reads
 * them (litellm/llms/bedrock/base_aws_llm.py): each `aws_*` litellm_param,
 * else its standard variable; the region from aws_region_name, else the
 * region of a model ARN (`model_id`'s first), else AWS_REGION_NAME, AWS_REGION, AWS_DEFAULT_REGION
 * (boto3's own), else us-west-2; the endpoint from api_base, else
 * aws_bedrock_runtime_endpoint, else AWS_BEDROCK_RUNTIME_ENDPOINT, else the
 * region's bedrock-runtime host.
 */

/** LiteLLM's fallback when nothing names a region. */
export const DEFAULT_AWS_REGION = 'us-west-2';

const REGION = /^[a-z0-9-]+$/;
const ARN_REGION = /^arn:aws[a-z-]*:bedrock:([a-z0-9-]+):/;

/** Ways LiteLLM gets credentials that Switchyard does not follow: refused, never silently replaced by other credentials. */
export const UNSUPPORTED_AWS_AUTH = ['aws_role_name', 'aws_profile_name', 'aws_web_identity_token'] as const;

export interface AwsResolution {
  aws: AwsSettings;
  /** The endpoint when the file names no api_base. */
  endpoint: string;
  missingEnv: string[];
}

type Field = 'aws_access_key_id' | 'aws_secret_access_key' | 'aws_session_token' | 'aws_region_name' | 'aws_bedrock_runtime_endpoint';

const STANDARD: Readonly<Record<Field, readonly string[]>> = {
  aws_access_key_id: ['AWS_ACCESS_KEY_ID'],
  aws_secret_access_key: ['AWS_SECRET_ACCESS_KEY'],
  aws_session_token: ['AWS_SESSION_TOKEN'],
  aws_region_name: ['AWS_REGION_NAME', 'AWS_REGION', 'AWS_DEFAULT_REGION'],
  aws_bedrock_runtime_endpoint: ['AWS_BEDROCK_RUNTIME_ENDPOINT'],
};

/** The host Bedrock Runtime answers on in a region (China's regions have their own suffix). */
export function bedrockRuntimeHost(region: string): string {
  return `https://bedrock-runtime.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

export function resolveAws(
  params: LiteLLMParams,
  providerModel: string,
  env: Record<string, string | undefined>,
  paramsAt: PropertyKey[],
  problems: Problems,
): AwsResolution {
  const missingEnv: string[] = [];
  for (const key of UNSUPPORTED_AWS_AUTH) {
    if (params[key] != null) {
      problems.add(
        [...paramsAt, key],
        'is not supported (no STS role, profile or web identity): give aws_access_key_id and aws_secret_access_key (and aws_session_token), or the AWS_* variables',
      );
    }
  }
  const lookup = (field: Field, fromEnvironment: boolean): { value: string; source: string } | null => {
    const own = params[field];
    if (own != null) {
      const resolved = resolveEnvRef(own, env);
      if (resolved.kind === 'invalid') problems.add([...paramsAt, field], resolved.message);
      if (resolved.kind === 'missing') missingEnv.push(resolved.name);
      return resolved.kind === 'value' ? resolved : null;
    }
    if (!fromEnvironment) return null;
    const name = STANDARD[field].find((candidate) => (env[candidate] ?? '') !== '');
    return name === undefined ? null : { value: env[name]!, source: `os.environ/${name}` };
  };
  const secret = (found: { value: string; source: string } | null): Secret | null =>
    found === null ? null : toSecret({ kind: 'value', ...found });

  const keyId = lookup('aws_access_key_id', true);
  const secretKey = lookup('aws_secret_access_key', true);
  // As LiteLLM, AWS_SESSION_TOKEN fills an unset aws_session_token, except for a long-term key
  // (AKIA...): AWS refuses a session token beside one, and the variable belongs to other credentials.
  const longTerm = keyId?.value.startsWith('AKIA') === true;
  const token = lookup('aws_session_token', !longTerm);

  const modelId = params.model_id ?? null;
  const ownRegion = lookup('aws_region_name', false);
  const arnRegion = ARN_REGION.exec(modelId ?? providerModel)?.[1] ?? null;
  // The AWS variables only when the file names no region: a named one was resolved (and reported) above.
  const envRegion = params.aws_region_name == null ? lookup('aws_region_name', true)?.value : undefined;
  const region = ownRegion?.value ?? arnRegion ?? envRegion ?? DEFAULT_AWS_REGION;
  if (!REGION.test(region)) problems.add([...paramsAt, 'aws_region_name'], `"${region}" is not an AWS region (lower-case letters, digits and -)`);

  const override = lookup('aws_bedrock_runtime_endpoint', true);
  if (override !== null && parseHttpUrl(override.value) === null) {
    const shown = override.source === 'inline' ? `"${override.value}"` : `the value of ${override.source}`;
    problems.add([...paramsAt, 'aws_bedrock_runtime_endpoint'], `${shown} is not an http(s) URL`);
  }
  return {
    aws: { accessKeyId: keyId?.value ?? null, secretAccessKey: secret(secretKey), sessionToken: secret(token), region, modelId },
    endpoint: override?.value ?? bedrockRuntimeHost(region),
    missingEnv,
  };
}
