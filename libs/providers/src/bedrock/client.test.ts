import type { ServerResponse } from 'node:http';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '@switchyard/config';
import { createProviderClient } from '../client.js';
import { ProviderStreamError, type FailureResponse, type ProviderResponse } from '../types.js';
import { collect, deployment, startServer, type TestServer } from '../../test/fixtures.js';
import { bedrockErrorBody } from './errors.js';

/*
 * Bedrock's answers through the provider client: its error shape read as
 * OpenAI's with the right retryability, and a stream cut inside an
 * event-stream message read as a broken stream.
 */

const SECRET = 'bedrock-client-test-SECRET-key-0001';
const codec = new EventStreamCodec(toUtf8, fromUtf8);

function bedrockError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` }).end(JSON.stringify({ message }));
}

const frame = (type: string, payload: object) =>
  codec.encode({
    headers: { ':event-type': { type: 'string', value: type }, ':content-type': { type: 'string', value: 'application/json' }, ':message-type': { type: 'string', value: 'event' } },
    body: fromUtf8(JSON.stringify(payload)),
  });

const scenarios: Record<string, (res: ServerResponse) => void> = {
  throttled: (res) => bedrockError(res, 429, 'ThrottlingException', 'Too many requests, please wait before trying again.'),
  invalid: (res) => bedrockError(res, 400, 'ValidationException', 'The provided model identifier is invalid.'),
  unavailable: (res) => bedrockError(res, 503, 'ServiceUnavailableException', 'The service is unavailable.'),
  denied: (res) => bedrockError(res, 403, 'AccessDeniedException', "You don't have access to the model with the specified model ID."),
  unrecognized: (res) => bedrockError(res, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.'),
  cut: (res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    const bytes = Buffer.concat([frame('messageStart', { role: 'assistant' }), frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } })]);
    res.write(bytes.subarray(0, bytes.length - 9), () => setTimeout(() => res.socket?.destroy(), 20));
  },
};

describe('providers bedrock: Bedrock answers through the provider client', () => {
  let server: TestServer;
  const client = createProviderClient();
  beforeAll(async () => {
    server = await startServer((req, res) => scenarios[String(req.headers['x-scenario'])]!(res));
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  const call = (scenario: string, stream = false): Promise<ProviderResponse> =>
    client.send({
      deployment: deployment({
        provider: 'bedrock',
        providerModel: 'anthropic.claude-v2:1',
        apiKey: null,
        apiBase: server.url.replace(/\/v1$/, ''),
        extraHeaders: { 'x-scenario': scenario },
        aws: { accessKeyId: 'AKIDTEST', secretAccessKey: new Secret(SECRET, 'inline'), sessionToken: null, region: 'us-east-1', modelId: null },
      }),
      endpoint: 'chat.completions',
      body: { model: 'x', messages: [{ role: 'user', content: 'hi' }] },
      stream,
      wantUsage: false,
    });

  it.each([
    ['throttled', 429, 'ThrottlingException', true],
    ['unavailable', 502, 'ServiceUnavailableException', true],
    ['invalid', 400, 'ValidationException', false],
  ])('providers bedrock: %s is a %i with code %s, retryable %s', async (scenario, status, code, retryable) => {
    const response = (await call(scenario)) as FailureResponse;
    expect(response).toMatchObject({ kind: 'failure', status, definite: true, retryable, error: { error: { code } } });
    expect(response.error.error.message.length).toBeGreaterThan(10);
  });

  it.each(['denied', 'unrecognized'])('providers bedrock: %s (403) is the gateway\'s credentials at fault: a 502, another deployment may serve', async (scenario) => {
    expect(await call(scenario)).toMatchObject({ kind: 'failure', status: 502, providerStatus: 403, retryable: true, error: { error: { code: 'upstream_auth_failed' } } });
  });

  it('providers bedrock: the request reaching Bedrock is signed, never carries the secret, and asks for JSON', async () => {
    await call('invalid');
    const sent = server.requests.at(-1)!;
    expect(sent.url).toBe('/model/anthropic.claude-v2%3A1/converse');
    expect(sent.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\//);
    expect(sent.headers.accept).toBe('application/json');
    expect(JSON.stringify(sent)).not.toContain(SECRET);
  });

  it('providers bedrock: a stream cut inside an event-stream message is a broken stream, never definite', async () => {
    const response = await call('cut', true);
    expect(response.kind).toBe('stream');
    const error = await collect((response as Extract<ProviderResponse, { kind: 'stream' }>).events).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderStreamError);
    expect((error as ProviderStreamError).definite).toBe(false);
    expect(server.requests.at(-1)!.headers.accept).toBe('application/vnd.amazon.eventstream');
  });

  it('providers bedrock: error bodies: the exception name from the header or __type; what is not Bedrock\'s shape is left as it is', () => {
    expect(JSON.parse(bedrockErrorBody('{"message":"m"}', { 'x-amzn-errortype': 'ThrottlingException:http://x/' }))).toEqual({ error: { message: 'm', type: null, param: null, code: 'ThrottlingException' } });
    expect(JSON.parse(bedrockErrorBody('{"__type":"com.amazon.coral#ValidationException","Message":"bad"}', {}))).toMatchObject({ error: { message: 'bad', code: 'ValidationException' } });
    expect(bedrockErrorBody('<html>bad gateway</html>', {})).toBe('<html>bad gateway</html>');
    expect(bedrockErrorBody('{"other":1}', {})).toBe('{"other":1}');
  });
});
