import { Sha256 } from '@aws-crypto/sha256-js';
import { EventStreamCodec, getChunkedStream } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBedrockMock, type BedrockCredentials, type BedrockMock } from '../harness/index.js';
import { LONG_TERM, REGION, TEMPORARY } from './fixtures.js';

/**
 * The Bedrock mock refuses what Bedrock refuses: requests signed as the AWS
 * SDK signs them pass, and a wrong secret, a tampered body, a missing session
 * token, a wrong region or a body Bedrock's reference refuses do not.
 */

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const OK = { messages: [{ role: 'user', content: [{ text: 'hi' }] }] };

interface Sent {
  status: number;
  errorType: string | null;
  json: Record<string, unknown> | null;
  bytes: Uint8Array;
}

describe('providers bedrock: the Bedrock mock checks requests as Bedrock does', () => {
  let mock: BedrockMock;
  beforeAll(async () => {
    mock = await startBedrockMock({ region: REGION, credentials: [TEMPORARY, LONG_TERM] });
  });
  afterAll(async () => mock?.close());
  beforeEach(() => mock.reset());

  async function send(
    body: unknown,
    options: { credentials?: BedrockCredentials; region?: string; action?: string; model?: string; sentBody?: string; unsigned?: boolean } = {},
  ): Promise<Sent> {
    const url = new URL(mock.url);
    const path = `/model/${encodeURIComponent(options.model ?? MODEL)}/${options.action ?? 'converse'}`;
    const text = JSON.stringify(body);
    const credentials = options.credentials ?? TEMPORARY;
    const signer = new SignatureV4({ service: 'bedrock', region: options.region ?? REGION, sha256: Sha256, credentials });
    const request = { method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path, query: {}, headers: { host: url.host, 'content-type': 'application/json' }, body: text };
    const headers = options.unsigned ? request.headers : (await signer.sign(request)).headers;
    const { host: _host, ...sendable } = headers;
    const res = await fetch(`${mock.url}${path}`, { method: 'POST', headers: sendable, body: options.sentBody ?? text });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const isJson = res.headers.get('content-type') === 'application/json';
    return {
      status: res.status,
      errorType: res.headers.get('x-amzn-errortype')?.split(':', 1)[0] ?? null,
      json: isJson ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>) : null,
      bytes,
    };
  }

  it('providers bedrock: mock answers a request signed as the AWS SDK signs it, and counts it', async () => {
    const sent = await send(OK);
    expect(sent.status).toBe(200);
    expect(sent.json).toMatchObject({ output: { message: { role: 'assistant', content: [{ text: 'Mock Bedrock answers: hi' }] } }, stopReason: 'end_turn' });
    expect(mock.calls).toBe(1);
    expect((await send(OK, { credentials: LONG_TERM })).status).toBe(200);
  });

  it.each([
    ['an unsigned request', { unsigned: true }, 'MissingAuthenticationTokenException'],
    ['a wrong secret', { credentials: { ...TEMPORARY, secretAccessKey: 'not-the-secret' } }, 'InvalidSignatureException'],
    ['a tampered body', { sentBody: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'HI' }] }] }) }, 'InvalidSignatureException'],
    ['temporary credentials without their session token', { credentials: { accessKeyId: TEMPORARY.accessKeyId, secretAccessKey: TEMPORARY.secretAccessKey } }, 'UnrecognizedClientException'],
    ['an unknown access key', { credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } }, 'UnrecognizedClientException'],
    ['another region', { region: 'eu-west-1' }, 'InvalidSignatureException'],
  ])('providers bedrock: mock refuses %s with a 403', async (_name, options, errorType) => {
    const sent = await send(OK, options);
    expect(sent.status).toBe(403);
    expect(sent.errorType).toBe(errorType);
    expect(sent.json).toEqual({ message: expect.any(String) });
    expect(mock.calls).toBe(0);
    expect(mock.refusals).toHaveLength(1);
  });

  it.each([
    ['an unknown field', { ...OK, model: MODEL }],
    ['a first message from the assistant', { messages: [{ role: 'assistant', content: [{ text: 'x' }] }] }],
    ['two user turns in a row', { messages: [...OK.messages, ...OK.messages] }],
    ['a blank text block', { messages: [{ role: 'user', content: [{ text: ' ' }] }] }],
    ['a content block with two members', { messages: [{ role: 'user', content: [{ text: 'x', image: {} }] }] }],
    ['an OpenAI field in inferenceConfig', { ...OK, inferenceConfig: { max_tokens: 5 } }],
    ['a temperature above 1', { ...OK, inferenceConfig: { temperature: 1.5 } }],
    [
      'toolUse blocks without toolConfig',
      { messages: [OK.messages[0], { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'f', input: {} } }] }, { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'r' }] } }] }] },
    ],
    ['a toolUse not answered in the next turn', {
      messages: [OK.messages[0], { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'f', input: {} } }] }, OK.messages[0]],
      toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }] },
    }],
    ['a tool choice naming no tool', { ...OK, toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: { json: {} } } }], toolChoice: { tool: { name: 'g' } } } }],
  ])('providers bedrock: mock refuses %s with a ValidationException', async (_name, body) => {
    const sent = await send(body);
    expect(sent.status).toBe(400);
    expect(sent.errorType).toBe('ValidationException');
    expect(mock.calls).toBe(0);
  });

  it.each([
    ['a Titan v1 body with dimensions', 'amazon.titan-embed-text-v1', { inputText: 'x', dimensions: 256 }],
    ['a Titan v2 body with OpenAI\'s input', 'amazon.titan-embed-text-v2:0', { input: 'x' }],
    ['a Cohere body without input_type', 'cohere.embed-english-v3', { texts: ['x'] }],
    ['a chat model', MODEL, { inputText: 'x' }],
  ])('providers bedrock: mock InvokeModel refuses %s', async (_name, model, body) => {
    const sent = await send(body, { action: 'invoke', model });
    expect(sent.status).toBe(400);
    expect(sent.errorType).toBe('ValidationException');
  });

  it('providers bedrock: mock ConverseStream answers in AWS event-stream framing the SDK codec reads', async () => {
    mock.behave(MODEL, { reply: 'a b', toolCall: { name: 'f', input: { x: 1 } } });
    const sent = await send({ ...OK, toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: { json: {} } } }] } }, { action: 'converse-stream' });
    expect(sent.status).toBe(200);
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const events: string[] = [];
    for await (const message of getChunkedStream((async function* () { yield sent.bytes; })())) {
      events.push(String(codec.decode(message).headers[':event-type']?.value));
    }
    expect(events).toEqual([
      'messageStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop',
      'contentBlockStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata',
    ]);
  });
});
