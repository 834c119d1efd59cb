import { randomUUID } from 'node:crypto';
import { type Msg, type NatsConnection, type Subscription } from 'nats';
import { BodyStore, ResponseOwners, decodeJson, ensureEventsStream, openRoutedMessage, traceContextOf, type ReplyWriter, type SalvagedEnvelope } from '@switchyard/bus';
import {
  BusHeaders,
  CancelRequest,
  Errors,
  GEN_AI_OPERATION,
  QueueGroups,
  type BusNames,
  type CallEnvelope,
} from '@switchyard/contracts';
import { deploymentFor, type Deployment, type GatewayConfig } from '@switchyard/config';
import { createProviderClient, type ProviderClient } from '@switchyard/providers';
import { injectContext, SpanKind, SpanStatusCode, switchyardTracer, trace, type Context, type Logger, type Registry } from '@switchyard/telemetry';
import { relayCall, type CallResult } from './relay.js';
import { serverAttributes } from './server-address.js';
import { createCallerMetrics } from './metrics.js';
import { CompletedEventsPublisher } from './completed-events.js';
import { announcePresence, type Presence } from './presence.js';
import { CallCancellations } from './cancellations.js';
import { createStoredResponseHandler } from './stored-responses.js';

const DEFAULT_PRESENCE_INTERVAL_MS = 500;

export interface UpstreamCallerDeps {
  nc: NatsConnection;
  names: BusNames;
  config: GatewayConfig;
  logger: Logger;
  registry: Registry;
  /** Tests may share one client; by default the service owns one pooled client. */
  providerClient?: ProviderClient;
  /** This replica's name in its presence beats. */
  instanceId?: string;
  /** How often it tells the limiters it is there (default 500 ms). */
  presenceIntervalMs?: number;
}

export interface UpstreamCallerService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Calls in progress right now. */
  readonly inFlight: number;
}

/**
 * The only code that talks to model providers. Each admitted call message
 * becomes exactly one provider call; the reply goes straight to the ingress
 * inbox and a call-completed event to JetStream (batched with the events of
 * calls that finished within the same few milliseconds).
 */
export function createUpstreamCaller(deps: UpstreamCallerDeps): UpstreamCallerService {
  const { nc, names, config, logger } = deps;
  const client = deps.providerClient ?? createProviderClient();
  const ownsClient = deps.providerClient === undefined;
  const deployments = new Map(config.deployments.map((deployment) => [deployment.id, deployment]));
  const bodies = new BodyStore(nc, names.bodyBucket);
  const responseOwners = new ResponseOwners(nc, names.responsesBucket);
  const metrics = createCallerMetrics(deps.registry);
  const events = new CompletedEventsPublisher({
    js: nc.jetstream(),
    subject: names.subjects.callCompleted,
    logger,
    metrics: { publishFailures: metrics.eventPublishFailures, batchSize: metrics.eventBatchSize, dropped: metrics.eventsDropped },
  });
  const tracer = switchyardTracer();
  const calls = new CallCancellations();
  const tasks = new Set<Promise<void>>();
  const subscriptions: Subscription[] = [];
  const loops: Promise<void>[] = [];
  let presence: Presence | null = null;

  for (const deployment of config.deployments) {
    if (deployment.apiKey === null && deployment.apiKeyEnv) {
      logger.warn(
        { deployment: deployment.id, variable: deployment.apiKeyEnv },
        'the API key variable of this deployment is not set: its calls will fail',
      );
    }
  }

  async function handleCall(msg: Msg): Promise<void> {
    const opened = openRoutedMessage(nc, msg, msg.headers?.get(BusHeaders.replyTo) || undefined, logger, releaseUnprocessable);
    if (!opened) return;
    const { writer, envelope } = opened;
    const configured = deployments.get(envelope.deploymentId);
    // A wildcard route's deployment gets the model the client asked for filled in.
    const deployment = configured?.wildcard ? (deploymentFor(config, envelope.deploymentId, envelope.requestedModel) ?? undefined) : configured;
    if (!deployment) {
      writer.fail(
        Errors.internal(`Deployment ${envelope.deploymentId} is not in this upstream-caller's configuration.`),
        { definite: true, deploymentId: envelope.deploymentId, attempt: envelope.attempt },
      );
      releaseUnprocessable({ requestId: envelope.requestId, deploymentId: envelope.deploymentId, attempt: envelope.attempt, reservation: envelope.reservation });
      return;
    }
    const call = calls.begin(envelope.requestId);
    metrics.inFlight.inc();
    const startedAt = performance.now();
    const parent = traceContextOf(msg);
    // One client span per provider call, named and attributed after OTel's gen_ai conventions.
    const span = tracer.startSpan(
      `${GEN_AI_OPERATION[envelope.endpoint]} ${deployment.providerModel}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': GEN_AI_OPERATION[envelope.endpoint],
          'gen_ai.system': deployment.provider,
          'gen_ai.request.model': deployment.providerModel,
          'switchyard.deployment': deployment.id,
          'switchyard.model_group': envelope.modelGroup,
          'switchyard.request_id': envelope.requestId,
          'switchyard.attempt': envelope.attempt,
          'switchyard.stream': envelope.stream,
          ...serverAttributes(deployment),
        },
      },
      parent,
    );
    let result: CallResult;
    try {
      const { json, text } = await readBody(msg, envelope);
      result = call.signal.aborted
        ? cancelledBeforeCall(writer, envelope, deployment)
        : await relayCall({
            client,
            deployment,
            envelope,
            body: json,
            bodyText: text,
            writer,
            signal: call.signal,
            startedAt,
            onStoredResponse: (responseId) => recordStoredResponse(responseId, deployment, envelope),
          });
    } catch (error) {
      logger.error({ err: error, requestId: envelope.requestId }, 'call failed before reaching the provider');
      writer.fail(Errors.internal('The upstream-caller could not prepare the provider call.'), {
        definite: true,
        deploymentId: deployment.id,
        attempt: envelope.attempt,
      });
      result = { status: 500, outcome: 'invalid_response', usage: null, providerCalled: false, cost: null };
    } finally {
      call.end();
      metrics.inFlight.dec();
    }
    const latencyMs = performance.now() - startedAt;
    span.setAttribute('http.response.status_code', result.status);
    span.setAttribute('switchyard.outcome', result.outcome);
    if (result.usage) {
      span.setAttribute('gen_ai.usage.input_tokens', result.usage.prompt_tokens);
      span.setAttribute('gen_ai.usage.output_tokens', result.usage.completion_tokens ?? 0);
    }
    if (result.outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: result.outcome });
    span.end();
    if (result.providerCalled) {
      metrics.calls.inc({ deployment: deployment.id, status: String(result.status), outcome: result.outcome });
      metrics.latency.observe({ deployment: deployment.id }, latencyMs / 1000);
    }
    recordCompleted(envelope, deployment, result, latencyMs, trace.setSpan(parent, span));
  }

  /**
   * Where a stored response lives and whose it is, for every ingress replica.
   * Awaited before the client sees the id; a failure costs only its later
   * retrieval (a 404), never the response itself.
   */
  async function recordStoredResponse(responseId: string, deployment: Deployment, envelope: CallEnvelope): Promise<void> {
    try {
      await responseOwners.record(responseId, { deploymentId: deployment.id, callerId: envelope.callerId, requestedModel: envelope.requestedModel });
    } catch (error) {
      logger.warn({ err: error, requestId: envelope.requestId, deployment: deployment.id }, 'could not record where a stored response lives: it cannot be retrieved through the gateway');
    }
  }

  /** The client left before its call reached the provider (the cancel overtook it): no call, nothing to bill. */
  function cancelledBeforeCall(writer: ReplyWriter, envelope: CallEnvelope, deployment: Deployment): CallResult {
    writer.fail(Errors.upstreamFailed('The client disconnected before the provider was called.', 'client_closed_request', 499), {
      definite: true,
      deploymentId: deployment.id,
      attempt: envelope.attempt,
    });
    return { status: 499, outcome: 'cancelled', usage: null, providerCalled: false, cost: null };
  }

  /** A call this replica cannot make still completes, with no provider call, so the limiter frees its reservation. */
  function releaseUnprocessable(salvaged: SalvagedEnvelope): void {
    if (!salvaged.reservation) return;
    const deployment = salvaged.deploymentId ? deployments.get(salvaged.deploymentId) : undefined;
    events.add({
      eventId: randomUUID(),
      requestId: salvaged.requestId ?? 'unknown',
      attempt: salvaged.attempt,
      endpoint: 'chat.completions',
      modelGroup: deployment?.modelName ?? 'unknown',
      deploymentId: salvaged.deploymentId ?? salvaged.reservation.deploymentId,
      provider: deployment?.provider ?? 'unknown',
      providerModel: deployment?.providerModel ?? 'unknown',
      stream: false,
      status: 500,
      outcome: 'invalid_response',
      usage: null,
      providerCalled: false,
      latencyMs: 0,
      finishedAt: new Date().toISOString(),
      reservation: salvaged.reservation,
    });
  }

  /**
   * The client's body as text (the provider gets it edited in place, never
   * re-serialised) and parsed (for the fields the call needs). The ingress
   * validated it as strict UTF-8 JSON; a byte-order mark it tolerated is dropped.
   */
  async function readBody(msg: Msg, envelope: CallEnvelope): Promise<{ json: Record<string, unknown>; text: string }> {
    const bytes = envelope.bodyRef ? await bodies.get(envelope.bodyRef) : msg.data;
    const decoded = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
    return { json: JSON.parse(text) as Record<string, unknown>, text };
  }

  function recordCompleted(
    envelope: CallEnvelope,
    deployment: Deployment,
    result: CallResult,
    latencyMs: number,
    traceContext: Context,
  ): void {
    const carrier: Record<string, string> = {};
    injectContext(traceContext, (name, value) => (carrier[name] = value));
    events.add({
      eventId: randomUUID(),
      requestId: envelope.requestId,
      clientRequestId: envelope.clientRequestId,
      attempt: envelope.attempt,
      endpoint: envelope.endpoint,
      modelGroup: envelope.modelGroup,
      deploymentId: deployment.id,
      provider: deployment.provider,
      providerModel: deployment.providerModel,
      stream: envelope.stream,
      status: result.status,
      outcome: result.outcome,
      usage: result.usage,
      providerCalled: result.providerCalled,
      latencyMs,
      finishedAt: new Date().toISOString(),
      reservation: envelope.reservation,
      // What the ledger records and budgets settle to: the caller and tags the ingress authenticated, and the call's cost.
      cost: result.providerCalled ? result.cost : 0,
      caller: envelope.caller,
      tags: envelope.tags,
      ...(Object.keys(carrier).length > 0 ? { traceContext: carrier } : {}),
    });
  }

  function consume(subject: string, queue: string | undefined, handler: (msg: Msg) => Promise<void> | void): void {
    const sub = queue ? nc.subscribe(subject, { queue }) : nc.subscribe(subject);
    subscriptions.push(sub);
    loops.push(
      (async () => {
        for await (const msg of sub) {
          const task = Promise.resolve(handler(msg)).catch((error: unknown) =>
            logger.error({ err: error, subject }, 'handler failed'),
          );
          tasks.add(task);
          void task.finally(() => tasks.delete(task));
        }
      })(),
    );
  }

  return {
    get inFlight() {
      return calls.size;
    },
    async start() {
      await ensureEventsStream(nc, names);
      consume(names.subjects.call, QueueGroups.upstreamCaller, handleCall);
      consume(names.subjects.storedResponse, QueueGroups.upstreamCaller, createStoredResponseHandler({ client, config, deployments, logger }));
      consume(names.subjects.cancel, undefined, (msg) => {
        const parsed = CancelRequest.safeParse(decodeJson(msg.data));
        if (parsed.success) calls.cancel(parsed.data.requestId);
      });
      // Announced after subscribing on the same connection: a limiter that hears the beat can hand calls here.
      presence = announcePresence({
        nc,
        names,
        // Unique per start: a restarted replica's beats must not be confused with its predecessor's "leaving".
        instance: `${deps.instanceId ?? 'upstream-caller'}/${randomUUID()}`,
        intervalMs: deps.presenceIntervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS,
      });
      await nc.flush();
      logger.info({ subject: names.subjects.call, deployments: deployments.size }, 'upstream-caller taking calls');
    },
    async stop() {
      // Leave first, so limiters stop handing calls here (and answer 503 if this was the last caller);
      // then take what is already on the way, let the running calls finish (streams included), flush events.
      presence?.leave();
      await Promise.all(subscriptions.map((sub) => sub.drain()));
      await Promise.all(loops);
      await Promise.allSettled([...tasks]);
      await events.drain();
      if (ownsClient) await client.close();
    },
  };
}


