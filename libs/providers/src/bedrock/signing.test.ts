import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '@switchyard/contracts';
import { Secret } from '@switchyard/config';
import { deployment } from '../../test/fixtures.js';
import { bedrock, encodeModelId } from './index.js';
import { signatureSecrets, signBedrockRequest } from './signing.js';

/*
 * The signer is the AWS SDK's; this checks what Switchyard gives it (path,
 * headers, region, service) against SigV4 written out from AWS's
 * specification, for a model id with `:` in it.
 */

const KEY_ID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const TOKEN = 'session-token-EXAMPLE';
const NOW = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));

const bedrockDeployment = (aws: Partial<NonNullable<ReturnType<typeof deployment>['aws']>> = {}, apiKey: Secret | null = null) =>
  deployment({
    provider: 'bedrock',
    providerModel: 'anthropic.claude-v2:1',
    apiKey,
    apiBase: 'https://bedrock-runtime.us-east-1.amazonaws.com',
    aws: { accessKeyId: KEY_ID, secretAccessKey: new Secret(SECRET, 'inline'), sessionToken: new Secret(TOKEN, 'inline'), region: 'us-east-1', modelId: null, ...aws },
  });

const hmac = (key: Buffer | string, text: string): Buffer => createHmac('sha256', key).update(text).digest();
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

/** SigV4 by the book (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html). */
function referenceAuthorization(path: string, headers: Record<string, string>, body: string): string {
  const names = Object.keys(headers).sort();
  const canonical = ['POST', path, '', ...names.map((name) => `${name}:${headers[name]}`), '', names.join(';'), sha(body)].join('\n');
  const day = '20250102';
  const scope = `${day}/us-east-1/bedrock/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', '20250102T030405Z', scope, sha(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${SECRET}`, day), 'us-east-1'), 'bedrock'), 'aws4_request');
  return `AWS4-HMAC-SHA256 Credential=${KEY_ID}/${scope}, SignedHeaders=${names.join(';')}, Signature=${createHmac('sha256', key).update(toSign).digest('hex')}`;
}

describe('providers bedrock: SigV4 signing', () => {
  it('providers bedrock: the model id is percent-encoded in the URL as the AWS SDK writes path labels', () => {
    const d = bedrockDeployment();
    expect(bedrock.url('https://h', 'chat.completions', d, false)).toBe('https://h/model/anthropic.claude-v2%3A1/converse');
    expect(bedrock.url('https://h', 'chat.completions', d, true)).toBe('https://h/model/anthropic.claude-v2%3A1/converse-stream');
    expect(bedrock.url('https://h', 'embeddings', d, false)).toBe('https://h/model/anthropic.claude-v2%3A1/invoke');
    const provisioned = bedrockDeployment({ modelId: 'arn:aws:bedrock:us-east-1:123:provisioned-model/abc' });
    expect(bedrock.url('https://h', 'chat.completions', provisioned, false)).toBe('https://h/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Aprovisioned-model%2Fabc/converse');
    expect(encodeModelId('arn:aws:bedrock:us-east-1:123:inference-profile/us.x(1)')).toBe('arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Ainference-profile%2Fus.x%281%29');
  });

  it('providers bedrock: the signature is SigV4\'s, the encoded path escaped once more in the canonical request', async () => {
    const body = '{"messages":[]}';
    const request = {
      url: 'https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2%3A1/converse',
      method: 'POST' as const,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-proxy-auth': 'unsigned' },
      body,
    };
    const added = await signBedrockRequest(request, bedrockDeployment(), NOW);
    expect(added).toMatchObject({ 'x-amz-date': '20250102T030405Z', 'x-amz-security-token': TOKEN, 'x-amz-content-sha256': sha(body) });
    const signed = { 'content-type': 'application/json', host: 'bedrock-runtime.us-east-1.amazonaws.com', 'x-amz-content-sha256': sha(body), 'x-amz-date': '20250102T030405Z', 'x-amz-security-token': TOKEN };
    expect(added.authorization).toBe(referenceAuthorization('/model/anthropic.claude-v2%253A1/converse', signed, body));
  });

  it('providers bedrock: long-term credentials carry no security token; a port is part of the signed host', async () => {
    const request = { url: 'http://127.0.0.1:8080/model/m/converse', method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: '{}' };
    const added = await signBedrockRequest(request, bedrockDeployment({ sessionToken: null }), NOW);
    expect(added['x-amz-security-token']).toBeUndefined();
    expect(added.authorization).toBe(
      referenceAuthorization('/model/m/converse', { 'content-type': 'application/json', host: '127.0.0.1:8080', 'x-amz-content-sha256': sha('{}'), 'x-amz-date': '20250102T030405Z' }, '{}'),
    );
  });

  it('providers bedrock: a default port is not part of the signed host, as it is not part of the Host header', async () => {
    const withPort = await signBedrockRequest({ url: 'https://bedrock-runtime.us-east-1.amazonaws.com:443/model/m/converse', method: 'POST', headers: {}, body: '{}' }, bedrockDeployment(), NOW);
    const without = await signBedrockRequest({ url: 'https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse', method: 'POST', headers: {}, body: '{}' }, bedrockDeployment(), NOW);
    expect(withPort.authorization).toBe(without.authorization);
  });

  it('providers bedrock: a Bedrock API key is a bearer token and nothing is signed', async () => {
    const d = bedrockDeployment({}, new Secret('bedrock-api-key-123', 'inline'));
    expect(await signBedrockRequest({ url: 'https://h/model/m/converse', method: 'POST', headers: {}, body: '{}' }, d)).toEqual({});
    expect(bedrock.authHeaders('bedrock-api-key-123')).toEqual({ authorization: 'Bearer bedrock-api-key-123' });
  });

  it('providers bedrock: no credentials is a misconfigured deployment, naming what to set and never a value', async () => {
    const error = await signBedrockRequest({ url: 'https://h/model/m/converse', method: 'POST', headers: {}, body: '{}' }, bedrockDeployment({ secretAccessKey: null })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('deployment_misconfigured');
    expect((error as GatewayError).message).toContain('aws_secret_access_key');
  });

  it('providers bedrock: the signature is the call\'s secret, whole and alone; the other signing headers are not', async () => {
    const added = await signBedrockRequest({ url: 'https://h/model/m/converse', method: 'POST', headers: {}, body: '{}' }, bedrockDeployment(), NOW);
    const signature = /Signature=([0-9a-f]{64})$/.exec(added.authorization!)![1]!;
    expect(signatureSecrets(added)).toEqual([added.authorization, signature]);
    expect(signatureSecrets({ accept: 'application/json' })).toEqual([]);
  });

  it('providers bedrock: the secret key and session token are in the deployment\'s secrets, so they are scrubbed', () => {
    const secrets = bedrockDeployment().secrets();
    expect(secrets).toContain(SECRET);
    expect(secrets).toContain(TOKEN);
  });
});
