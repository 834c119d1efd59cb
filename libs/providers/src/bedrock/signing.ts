import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { parseHttpUrl, type Deployment } from '@switchyard/config';
import { misconfigured } from '../misconfigured.js';
import type { AuthorizableRequest } from '../providers/base.js';

/*
 * AWS Signature Version 4 for Bedrock Runtime (signing name `bedrock`), by
 * the AWS SDK's own signer. The path is signed as the URL carries it (the
 * model id already percent-encoded, as the SDK writes a path label), and the
 * signer escapes it once more for the canonical request, as the SDK does for
 * every service but S3: `anthropic.claude-v2:1` is `%3A` on the wire and
 * `%253A` in the signature.
 *
 * Signed headers follow LiteLLM's choice (base_aws_llm.py): host,
 * content-type and the x-amz-* / x-amzn-* headers. Others the operator adds
 * (extra_headers for a proxy) go unsigned, so they cannot break the signature.
 */

export const SIGNING_NAME = 'bedrock';

const SIGNED = (name: string): boolean => name === 'content-type' || name.startsWith('x-amz-') || name.startsWith('x-amzn-');

/** One signer per deployment and credentials: the signer caches its derived signing key for the day. */
const signers = new WeakMap<Deployment, SignatureV4>();

function signerFor(deployment: Deployment): SignatureV4 {
  let signer = signers.get(deployment);
  if (signer !== undefined) return signer;
  const aws = deployment.aws;
  const accessKeyId = aws?.accessKeyId ?? null;
  const secretAccessKey = aws?.secretAccessKey?.reveal() ?? null;
  if (aws === undefined || accessKeyId === null || secretAccessKey === null) {
    throw misconfigured(
      `deployment ${deployment.id} (bedrock) has no AWS credentials: set aws_access_key_id and aws_secret_access_key ` +
        '(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or a Bedrock API key (api_key or AWS_BEARER_TOKEN_BEDROCK)',
    );
  }
  const sessionToken = aws.sessionToken?.reveal();
  signer = new SignatureV4({
    service: SIGNING_NAME,
    region: aws.region,
    sha256: Sha256,
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) },
  });
  signers.set(deployment, signer);
  return signer;
}

/**
 * The headers that authorise the request: `authorization`, `x-amz-date`,
 * `x-amz-content-sha256` and, with temporary credentials,
 * `x-amz-security-token`. A deployment with a Bedrock API key sends it as a
 * bearer token instead (request.ts adds it) and is not signed.
 */
export async function signBedrockRequest(request: Readonly<AuthorizableRequest>, deployment: Deployment, now: Date = new Date()): Promise<Record<string, string>> {
  if ((deployment.apiKey?.reveal() ?? '') !== '') return {};
  const signer = signerFor(deployment);
  const url = parseHttpUrl(request.url);
  if (url === null) throw misconfigured(`deployment ${deployment.id} has an endpoint that is not an http(s) URL`);
  const queryAt = url.rest.indexOf('?');
  const path = queryAt === -1 ? url.rest : url.rest.slice(0, queryAt);
  // The Host header as undici sends it: a default port is left out (URL normalises it away).
  const defaultPort = url.port === (url.protocol === 'https:' ? 443 : 80);
  const host = url.port === null || defaultPort ? url.host : `${url.host}:${url.port}`;
  const headers: Record<string, string> = { host };
  for (const [name, value] of Object.entries(request.headers)) if (SIGNED(name)) headers[name] = value;
  const signed = await signer.sign(
    { method: request.method, protocol: url.protocol, hostname: url.hostname, ...(url.port === null || defaultPort ? {} : { port: url.port }), path: path === '' ? '/' : path, query: {}, headers, body: request.body },
    { signingDate: now },
  );
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    const lower = name.toLowerCase();
    if (lower !== 'host' && request.headers[lower] !== value) out[lower] = value;
  }
  return out;
}

/** The call's secrets among the headers signing added: the signature (alone too: that is how it would be echoed). */
export function signatureSecrets(added: Readonly<Record<string, string>>): string[] {
  const authorization = added.authorization;
  if (authorization === undefined) return [];
  const signature = /Signature=([0-9a-f]+)/.exec(authorization)?.[1];
  return signature === undefined ? [authorization] : [authorization, signature];
}
