import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { PendingReply, type ReplyMessage } from '@switchyard/bus';
import { parseGatewayConfig } from '@switchyard/config';
import { Errors, type CallEnvelope } from '@switchyard/contracts';
import { createLogger, createMetricsRegistry } from '@switchyard/telemetry';
import { buildIngressApp, OPEN_AUTH_WARNING } from './app.js';
import type { AttemptResult, Dispatcher } from './dispatch.js';
import { headerSafe } from './header-values.js';
import { exceedsJsonDepth } from './json-depth.js';

/*
 * The ingress app in process (fastify inject), with a small fake dispatcher
 * standing in for the bus: it answers every attempt with a canned completion
 * (or stream) and counts the attempts, so a test can tell that bad input
 * reached nothing.
 */

const COMPLETION = { id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [], usage: null };

function fakeDispatcher(options: { fail: boolean }) {
  const envelopes: CallEnvelope[] = [];
  const dispatcher: Dispatcher = {
    async attempt(envelope): Promise<AttemptResult> {
      envelopes.push(envelope);
      if (options.fail) {
        const error = Errors.upstreamFailed('the provider failed', 'upstream_error');
        return { kind: 'failure', error, definite: true, retryable: false, providerCalled: true, headers: { 'x-switchyard-deployment': envelope.deploymentId } };
      }
      const head = { status: 200, contentType: 'application/json', deploymentId: envelope.deploymentId, attempt: envelope.attempt, headers: {} };
      const reply = new PendingReply('fake', () => undefined);
      const end = { usage: null, latencyMs: 1 };
      if (!envelope.stream) {
        const first: ReplyMessage = { part: 'full', meta: { ...head, end }, data: Buffer.from(JSON.stringify(COMPLETION)) };
        return { kind: 'response', head, first, reply };
      }
      reply.push({ part: 'chunk', meta: null, data: Buffer.from('data: {"choices":[]}\n\ndata: [DONE]\n\n') });
      reply.push({ part: 'end', meta: end, data: new Uint8Array(0) });
      const first: ReplyMessage = { part: 'head', meta: { ...head, contentType: 'text/event-stream' }, data: new Uint8Array(0) };
      return { kind: 'response', head, first, reply };
    },
    stashBody: async (key) => key,
    releaseBody: async () => undefined,
    cancel: () => undefined,
    inlineLimit: () => 1024 * 1024,
    waitMs: () => 5_000,
  };
  return { dispatcher, envelopes };
}

function configYaml(general: string): string {
  return `model_list:
  - model_name: "模型"
    litellm_params: { model: mock/a }
  - model_name: "gpt-4o-✓"
    litellm_params: { model: mock/b }
  - model_name: plain
    litellm_params: { model: mock/c }
general_settings:
${general}
`;
}

let app: FastifyInstance | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

function build(general = '  {}', options = { fail: false }) {
  const config = parseGatewayConfig(configYaml(general), { source: '<test>', env: {} });
  const fake = fakeDispatcher(options);
  app = buildIngressApp({
    config,
    dispatcher: fake.dispatcher,
    adaptive: null,
    logger: createLogger({ service: 'test', level: 'silent' }),
    registry: createMetricsRegistry('ingress', 'test'),
    checks: [],
    isShuttingDown: () => false,
  });
  return { app, ...fake };
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

function chatWithExtra(extra: string): string {
  return `{"model":"plain","messages":[{"role":"user","content":"hi"}],"metadata_extra":${extra}}`;
}

describe('ingress input: JSON depth', () => {
  it('ingress input: a body nested 10,000 deep in an extra field is a 400 and dispatches nothing', async () => {
    const { app, envelopes } = build();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      payload: chatWithExtra(nested(10_000)),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: { message: expect.stringContaining('deeper than 128'), type: 'invalid_request_error', param: null, code: 'json_too_deep' },
    });
    expect(envelopes).toHaveLength(0);
  });

  it('ingress input: a body at the configured depth passes, one level more is refused', async () => {
    const { app, envelopes } = build('  max_json_depth: 8');
    // The body is 1 level, messages 2, a message 3: the extra field adds 5 to reach 8.
    const ok = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, payload: chatWithExtra(nested(7)) });
    expect(ok.statusCode).toBe(200);
    const deep = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, payload: chatWithExtra(nested(8)) });
    expect(deep.statusCode).toBe(400);
    expect(envelopes).toHaveLength(1);
  });

  it('ingress input: brackets inside strings, escaped quotes included, do not count as depth', () => {
    const text = JSON.stringify({ a: `${'['.repeat(500)}\\"${'{'.repeat(500)}"` });
    expect(exceedsJsonDepth(Buffer.from(text), 2)).toBe(false);
    expect(exceedsJsonDepth(Buffer.from(`{"a":"\\\\",${'['.repeat(3)}`), 3)).toBe(true);
  });
});

describe('ingress input: Unicode model names in headers', () => {
  it('ingress input: header values outside visible ASCII are percent-encoded and decode back', () => {
    for (const name of ['模型/1a2b3c4d', 'gpt-4o-✓', 'line\r\nbreak']) {
      const encoded = headerSafe(name);
      expect(encoded).toMatch(/^[\x21-\x7e]*$/);
      expect(decodeURIComponent(encoded)).toBe(name);
    }
    expect(headerSafe('plain/0a1b2c3d#2')).toBe('plain/0a1b2c3d#2');
  });

  it.each(['模型', 'gpt-4o-✓'])('ingress input: a call to "%s" is answered, plain and streamed, with its deployment in a header', async (model) => {
    const { app, envelopes } = build();
    const body = { model, messages: [{ role: 'user', content: 'hi' }] };
    const plain = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: body });
    expect(plain.statusCode).toBe(200);
    expect(plain.json()).toEqual(COMPLETION);
    const streamed = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { ...body, stream: true } });
    expect(streamed.statusCode).toBe(200);
    expect(streamed.body).toContain('data: [DONE]');
    for (const response of [plain, streamed]) {
      const deployment = decodeURIComponent(String(response.headers['x-switchyard-deployment']));
      expect(deployment).toBe(envelopes[0]!.deploymentId);
      expect(deployment.startsWith(`${model}/`)).toBe(true);
    }
  });

  it('ingress input: a failed call to a Unicode name gets its OpenAI-shaped error, not a bare 500', async () => {
    const { app, envelopes } = build('  {}', { fail: true });
    const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: '模型', messages: [{ role: 'user', content: 'hi' }] } });
    expect(response.statusCode).toBe(502);
    expect(response.json().error).toMatchObject({ message: 'the provider failed', code: 'upstream_error' });
    expect(decodeURIComponent(String(response.headers['x-switchyard-deployment']))).toBe(envelopes[0]!.deploymentId);
  });
});

describe('ingress input: open mode', () => {
  it('ingress input: /readyz says auth is open, with a warning, when no master key is set', async () => {
    const { app } = build();
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ready', auth: 'open', warnings: [OPEN_AUTH_WARNING] });
  });

  it('ingress input: /readyz says master_key and warns of nothing when a master key is set', async () => {
    const { app } = build('  master_key: sk-some-master-key');
    const body = (await app.inject({ method: 'GET', url: '/readyz' })).json();
    expect(body.auth).toBe('master_key');
    expect(body.warnings).toBeUndefined();
  });
});
