import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Errors, type StoredResponseCall, type StoredResponseOwner, type StoredResponseReply } from '@switchyard/contracts';
import type { StoredResponses } from './stored-responses.js';
import { nextSequenceNumber, responsesErrorFrame } from './responses-route.js';
import { buildTestIngress, OpenAIErrorShape, testConfig, type TestIngress } from './testing/test-app.js';

/**
 * The Responses routes in process: POST /v1/responses validated and sent
 * as chat is (its own token bound, usage always streamed), previous_response_id
 * pinned to the deployment that stores it, and GET/DELETE of stored
 * responses for their own caller only.
 */

class FakeStore implements StoredResponses {
  readonly owners = new Map<string, StoredResponseOwner>();
  readonly calls: StoredResponseCall[] = [];
  reply: StoredResponseReply = { status: 200, body: '{"id":"resp_a","object":"response"}', contentType: 'application/json', providerCalled: true };

  async owner(id: string) {
    return this.owners.get(id) ?? null;
  }
  async forget(id: string) {
    this.owners.delete(id);
  }
  async call(call: StoredResponseCall) {
    this.calls.push(call);
    return this.reply;
  }
}

const callers: Record<string, string> = { 'Bearer alice': 'caller_alice', 'Bearer bob': 'caller_bob' };
const authenticate = (authorization: string | undefined) => {
  const caller = callers[authorization ?? ''];
  if (caller === undefined) throw Errors.unauthorized();
  return caller;
};
const idOf = (model: string) => testConfig().deployments.find((deployment) => deployment.modelName === model)!.id;
const ALICE = { authorization: 'Bearer alice' };
const BOB = { authorization: 'Bearer bob' };

describe('ingress: the Responses routes', () => {
  let ingress: TestIngress;
  const store = new FakeStore();

  beforeAll(async () => {
    ingress = await buildTestIngress({ storedResponses: store, authenticate });
  });
  afterAll(async () => ingress.app.close());
  beforeEach(() => {
    store.owners.clear();
    store.calls.length = 0;
    ingress.dispatcher.attempts.length = 0;
  });

  const post = (body: unknown, headers = ALICE) => ingress.app.inject({ method: 'POST', url: '/v1/responses', headers, payload: body as object });

  it('ingress: a response is one attempt; max_output_tokens bounds the completion, input items are estimated, stream usage is always wanted', async () => {
    const response = await post({
      model: 'model-1',
      instructions: 'Be brief.',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Tell me about the weather in Paris today' }] }, { type: 'function_call_output', call_id: 'c', output: 'sunny and warm' }],
      max_output_tokens: 321,
      stream: true,
    });
    expect(response.statusCode).toBe(200);
    expect(ingress.dispatcher.attempts).toHaveLength(1);
    const envelope = ingress.dispatcher.attempts[0]!.envelope;
    expect(envelope).toMatchObject({ endpoint: 'responses', stream: true, clientWantsUsage: true, maxCompletionTokens: 321 });
    expect(envelope.estimatedPromptTokens).toBeGreaterThan(10);
  });

  it.each([
    [{ model: 'model-1', input: 'x', max_output_tokens: 0 }, 'max_output_tokens'],
    [{ model: 'model-1', input: 'x', temperature: 3 }, 'temperature'],
    [{ model: 'model-1', input: 'x', text: { format: { type: 'json_schema', name: 'a' } } }, 'text'],
    [{ input: 'x' }, 'model'],
  ])('ingress: a bad Responses body is a 400 in OpenAI\'s shape, nothing sent (%j)', async (body, param) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    const error = OpenAIErrorShape.parse(response.json());
    expect(error.error.param ?? '').toContain(param);
    expect(ingress.dispatcher.attempts).toHaveLength(0);
  });

  it('ingress: previous_response_id pins the request to the deployment that stores it; someone else\'s is a 404 and nothing is sent', async () => {
    const pinnedId = idOf('pool');
    store.owners.set('resp_a', { deploymentId: pinnedId, callerId: 'caller_alice' });
    const mine = await post({ model: 'pool', previous_response_id: 'resp_a', input: 'more' });
    expect(mine.statusCode).toBe(200);
    expect(ingress.dispatcher.attempts.map((attempt) => attempt.envelope.candidates)).toEqual([[pinnedId]]);
    const theirs = await post({ model: 'pool', previous_response_id: 'resp_a', input: 'more' }, BOB);
    expect(theirs.statusCode).toBe(404);
    expect(OpenAIErrorShape.parse(theirs.json()).error).toMatchObject({ code: 'previous_response_not_found', param: 'previous_response_id' });
    expect(ingress.dispatcher.attempts).toHaveLength(1);
  });

  it('ingress: GET and DELETE reach the owning deployment for its caller; others and unknown ids get the same 404', async () => {
    const deploymentId = idOf('model-2');
    store.owners.set('resp_a', { deploymentId, callerId: 'caller_alice' });
    const got = await ingress.app.inject({ method: 'GET', url: '/v1/responses/resp_a', headers: ALICE });
    expect(got.statusCode).toBe(200);
    expect(got.headers['x-switchyard-deployment']).toBe(deploymentId);
    expect(store.calls).toEqual([expect.objectContaining({ operation: 'retrieve', responseId: 'resp_a', deploymentId })]);
    const bobs = await ingress.app.inject({ method: 'GET', url: '/v1/responses/resp_a', headers: BOB });
    const unknown = await ingress.app.inject({ method: 'GET', url: '/v1/responses/resp_zzz', headers: ALICE });
    for (const answer of [bobs, unknown]) {
      expect(answer.statusCode).toBe(404);
      expect(OpenAIErrorShape.parse(answer.json()).error.message).toMatch(/^Response with id '.+' not found\.$/);
    }
    const deleted = await ingress.app.inject({ method: 'DELETE', url: '/v1/responses/resp_a', headers: ALICE });
    expect(deleted.statusCode).toBe(200);
    expect(store.owners.has('resp_a')).toBe(false);
    expect(store.calls).toHaveLength(2);
  });

  it('ingress: a translated response id is a clear 404 that says why; stream=true retrieval is a 400', async () => {
    const translated = await ingress.app.inject({ method: 'GET', url: '/v1/responses/resp_sy0123', headers: ALICE });
    expect(translated.statusCode).toBe(404);
    expect(OpenAIErrorShape.parse(translated.json()).error).toMatchObject({ code: 'response_not_stored', message: expect.stringContaining('does not serve the Responses API') });
    store.owners.set('resp_b', { deploymentId: 'x', callerId: 'caller_alice' });
    const streamed = await ingress.app.inject({ method: 'GET', url: '/v1/responses/resp_b?stream=true', headers: ALICE });
    expect(streamed.statusCode).toBe(400);
    expect(store.calls).toHaveLength(0);
  });
});

describe('ingress: the Responses routes without a bus', () => {
  it('ingress: without a stored-responses store, retrieval is a 503 and previous_response_id too; plain responses still go', async () => {
    const ingress = await buildTestIngress();
    const got = await ingress.app.inject({ method: 'GET', url: '/v1/responses/resp_a' });
    expect(got.statusCode).toBe(503);
    const continued = await ingress.app.inject({ method: 'POST', url: '/v1/responses', payload: { model: 'model-1', previous_response_id: 'resp_a', input: 'x' } });
    expect(continued.statusCode).toBe(503);
    const plain = await ingress.app.inject({ method: 'POST', url: '/v1/responses', payload: { model: 'model-1', input: 'x' } });
    expect(plain.statusCode).toBe(200);
    await ingress.app.close();
  });
});

describe('responses: the closing error event', () => {
  it('responses: the error event is numbered after the last event relayed, and 0 when none came', () => {
    const body = { error: { message: 'broke', code: 'upstream_error', param: null } };
    const frames = Buffer.from('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":41,"delta":"x"}\n\n');
    expect(JSON.parse(responsesErrorFrame(502, body, frames).split('data: ')[1]!)).toMatchObject({ type: 'error', sequence_number: 42 });
    expect(JSON.parse(responsesErrorFrame(502, body, null).split('data: ')[1]!)).toMatchObject({ sequence_number: 0 });
    expect(nextSequenceNumber('data: {"sequence_number": 7}\n\ndata: {"sequence_number":8}\n\n')).toBe(9);
    expect(nextSequenceNumber('data: {"no":"number"}')).toBe(0);
  });
});
