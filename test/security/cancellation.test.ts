import { connect, type NatsConnection, type Subscription } from 'nats';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { envelopeHeaders, ReplyInbox } from '@switchyard/bus';
import { CallsCompleted, MASTER_CALLER, type CallCompleted, type CallEnvelope } from '@switchyard/contracts';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider, type MockProviderBehaviour } from '../harness/index.js';
import { post, PROVIDER_KEY_ENV } from '../request-path/fixtures.js';
import { captureLogs, type CapturedLogs } from './audit-log.js';
import { sendLeaving } from './leaving-client.js';

/**
 * A client that leaves cancels its work, in every phase: the provider call is
 * aborted (the mock sees its connection closed), the deployment's one
 * concurrency slot is free for the next request at once (not after the
 * call's lease), and the ingress audit line says `client_closed`.
 */

/** The one slot's lease is the call timeout plus 30 s: a slot freed only by its lease would take this long. */
const TIMEOUT_S = 600;
const LEASE_MS = (TIMEOUT_S + 30) * 1000;
/**
 * How long the next request may wait for the slot. Normally it is free within
 * milliseconds; settlement rides JetStream, which a busy shared server can
 * stall for seconds, so the bound is generous, and still far below the lease
 * and below the provider's own hold.
 */
const SLOT_DEADLINE_MS = 120_000;
/** Longer than the deadline: a provider call that is not aborted does not finish in time by itself. */
const HOLD_MS = 300_000;
const TEST_TIMEOUT_MS = SLOT_DEADLINE_MS + 30_000;

/** One single-slot model per test (`slot-<n>`), so that no test waits for another's settlement. */
const MODELS = 8;
const CONFIG = `model_list:
${Array.from(
  { length: MODELS },
  (_, n) => `  - model_name: slot-${n}
    litellm_params:
      model: openai/slot-${n}-model
      api_base: MOCK_URL
      api_key: os.environ/MOCK_PROVIDER_KEY
      max_parallel_requests: 1
      timeout: ${TIMEOUT_S}`,
).join('\n')}
general_settings: {}
`;

type Path = '/v1/chat/completions' | '/v1/completions' | '/v1/embeddings';

function bodyFor(model: string, path: Path, stream: boolean): Record<string, unknown> {
  if (path === '/v1/embeddings') return { model, input: 'embed me' };
  if (path === '/v1/completions') return { model, prompt: 'complete me', stream };
  return { model, messages: [{ role: 'user', content: 'chat with me' }], stream };
}

describe('security: a client that leaves cancels its work', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let logs: CapturedLogs;
  let url: string;
  let nc: NatsConnection;
  let events: Subscription;
  let completed: ReturnType<typeof collectEvents>;

  beforeAll(async () => {
    mock = await startMockProvider();
    logs = captureLogs();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: CONFIG.replaceAll('MOCK_URL', mock.url),
      env: PROVIDER_KEY_ENV,
      logger: logs.logger,
    });
    url = stack.ingressUrls[0]!;
    nc = await connect({ servers: inject('servers').natsUrl });
    events = nc.subscribe(stack.names.subjects.callCompleted);
    completed = collectEvents(events);
    await nc.flush();
  });
  // The upstream-caller's stop waits for its events to reach JetStream, which a busy shared server can delay.
  afterAll(async () => {
    await nc?.drain();
    await stack?.stop();
    await mock?.close();
  }, TEST_TIMEOUT_MS);
  beforeEach(() => mock.reset());

  /**
   * The next request on the one-slot deployment, sent until the limiter admits it:
   * returns how long after the hang-up the slot was free, and how many 429s came first.
   */
  async function nextRequestAdmitted(model: string, since: number): Promise<{ afterMs: number; denied: number }> {
    mock.behave(`${model}-model`, { latencyMs: 0, streamChunks: 3, chunkDelayMs: 0 });
    let denied = 0;
    // Settlement follows the call-completed event through JetStream: a few ms, with no event of its own to await.
    for (;;) {
      const response = await post(url, '/v1/chat/completions', bodyFor(model, '/v1/chat/completions', false));
      await response.arrayBuffer();
      if (response.status === 200) return { afterMs: performance.now() - since, denied };
      expect(response.status).toBe(429);
      denied += 1;
      expect(performance.now() - since).toBeLessThan(SLOT_DEADLINE_MS);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  let nextModel = 0;

  async function leaveAndCheck(options: {
    path: Path;
    stream: boolean;
    behaviour: Partial<MockProviderBehaviour>;
    /** When the client leaves: once the provider has the call, or once the first bytes of the stream arrived. */
    leave: 'provider_has_call' | 'first_bytes';
  }): Promise<void> {
    const model = `slot-${nextModel++}`;
    mock.behave(`${model}-model`, options.behaviour);
    const clientId = `leaver-${options.path.slice(4).replaceAll('/', '.')}-${options.stream}-${options.leave}-${Date.now()}`;
    const client = sendLeaving(url, options.path, bodyFor(model, options.path, options.stream), { 'x-request-id': clientId });
    if (options.leave === 'first_bytes') {
      expect((await client.response()).statusCode).toBe(200);
      expect((await client.firstBytes()).length).toBeGreaterThan(0);
    } else {
      await mock.waitForCalls(1);
    }
    client.leave();
    const leftAt = performance.now();

    await mock.waitForAborted(1);
    const audit = await logs.waitForAudit((line) => line.clientRequestId === clientId);
    expect(audit.outcome).toBe('client_closed');
    // The event is keyed by the server id and joins with the client's own id.
    expect(await completed.of(audit.requestId)).toMatchObject({ outcome: 'cancelled', clientRequestId: clientId });

    const next = await nextRequestAdmitted(model, leftAt);
    expect(next.afterMs).toBeLessThan(LEASE_MS);
    expect(mock.calls).toBe(2);
    expect(logs.audit().filter((line) => line.clientRequestId === clientId)).toHaveLength(1);
  }

  for (const path of ['/v1/chat/completions', '/v1/completions', '/v1/embeddings'] as const) {
    it(`security: a client that leaves a non-streamed ${path} while the provider works aborts the call and frees its slot`, async () => {
      await leaveAndCheck({ path, stream: false, behaviour: { latencyMs: HOLD_MS }, leave: 'provider_has_call' });
    }, TEST_TIMEOUT_MS);
  }

  for (const path of ['/v1/chat/completions', '/v1/completions'] as const) {
    it(`security: a client that leaves a ${path} stream before its first byte aborts the call and frees its slot`, async () => {
      await leaveAndCheck({ path, stream: true, behaviour: { latencyMs: HOLD_MS }, leave: 'provider_has_call' });
    }, TEST_TIMEOUT_MS);

    it(`security: a client that leaves a ${path} stream midway aborts the call and frees its slot`, async () => {
      await leaveAndCheck({ path, stream: true, behaviour: { streamChunks: 200, chunkDelayMs: HOLD_MS / 200 }, leave: 'first_bytes' });
    }, TEST_TIMEOUT_MS);
  }

  it('security: a cancel that overtakes its call (still in admission) stops it before the provider, and nothing is billed', async () => {
    const requestId = `req_${'0'.repeat(24)}${Date.now().toString(16).padStart(8, '0').slice(-8)}`;
    const envelope: CallEnvelope = {
      v: 1,
      requestId,
      clientRequestId: null,
      endpoint: 'chat.completions',
      requestedModel: 'slot-7',
      modelGroup: 'slot-7',
      deploymentId: stack.config.deployments[7]!.id,
      candidates: [stack.config.deployments[7]!.id],
      attempt: 1,
      stream: false,
      clientWantsUsage: false,
      choices: 1,
      estimatedPromptTokens: 4,
      maxCompletionTokens: null,
      timeoutMs: TIMEOUT_S * 1000,
      callerId: null,
      caller: MASTER_CALLER,
      tags: { endUser: null, metadata: null },
      bodyRef: null,
      reservation: null,
      admissionHeaders: {},
    };
    const inbox = new ReplyInbox(nc);
    const reply = inbox.open();
    // The ingress's cancel, then the call the limiter hands on after it: same order on the wire.
    nc.publish(stack.names.subjects.cancel, JSON.stringify({ requestId }));
    nc.publish(stack.names.subjects.call, JSON.stringify(bodyFor('slot-7', '/v1/chat/completions', false)), {
      headers: envelopeHeaders(envelope, reply.subject),
    });
    const answer = await reply.next(10_000);
    reply.close();

    expect(answer.part).toBe('error');
    expect(answer.part === 'error' && answer.meta).toMatchObject({ status: 499, providerCalled: false, definite: true });
    expect(await completed.of(requestId)).toMatchObject({ outcome: 'cancelled', providerCalled: false, usage: null });
    expect(mock.calls).toBe(0);
  });
});

/** The call-completed events seen on the bus (the limiter settles from the same events); `of` awaits one request's. */
function collectEvents(subscription: Subscription) {
  const seen = new Map<string, CallCompleted>();
  const waiters = new Map<string, (event: CallCompleted) => void>();
  void (async () => {
    for await (const msg of subscription) {
      for (const event of CallsCompleted.parse(msg.json()).events) {
        seen.set(event.requestId, event);
        waiters.get(event.requestId)?.(event);
      }
    }
  })();
  return {
    of(requestId: string): Promise<CallCompleted> {
      const event = seen.get(requestId);
      return event ? Promise.resolve(event) : new Promise((resolve) => waiters.set(requestId, resolve));
    },
  };
}
