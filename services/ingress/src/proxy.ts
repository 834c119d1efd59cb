import type { FastifyReply, FastifyRequest } from 'fastify';
import { resolveModel, type Deployment, type GatewayConfig } from '@switchyard/config';
import {
  Errors,
  GatewayError,
  GEN_AI_OPERATION,
  ENDPOINTS,
  RequestSchemas,
  type CallEnvelope,
  type Endpoint,
} from '@switchyard/contracts';
import { readConversation, shuffleDeployments, type ConversationTurn } from '@switchyard/routing';
import type { AdaptiveChoice, AdaptiveRouting } from './adaptive/adaptive-routing.js';
import type { TurnPublisher } from './adaptive/turn-publisher.js';
import { extractContext, SpanKind, switchyardTracer, trace, type Context, type Logger } from '@switchyard/telemetry';
import { anthropicBetaOf, anthropicErrorFrame } from './messages-route.js';
import { finishRequest, type RequestRecord } from './audit.js';
import { clientClosedDelivery, deliverBuffered, deliverStream, type Delivery } from './deliver.js';
import type { Dispatcher } from './dispatch.js';
import { watchHangUp } from './hang-up.js';
import { requestIdHeaders } from './request-id.js';
import { completionBoundsOf, estimatePromptTokens } from './estimate.js';
import { zodToGatewayError } from './errors.js';
import type { IngressMetrics } from './metrics.js';

export interface ParsedBody {
  raw: Buffer;
  json: unknown;
}

export interface ProxyDeps {
  config: GatewayConfig;
  dispatcher: Dispatcher;
  logger: Logger;
  metrics: IngressMetrics;
  /** Present when the config has adaptive routers. */
  adaptive: { routing: AdaptiveRouting; turns: TurnPublisher } | null;
}

/** A learned turn waiting for its response to finish before it is published. */
interface PendingTurn {
  choice: AdaptiveChoice & { sessionKey: string };
  conversation: ConversationTurn;
  requestId: string;
}

/**
 * The handler of every OpenAI POST endpoint: validate, resolve the model to
 * one deployment, publish the decision, relay the reply. Retries happen only
 * when `num_retries` asks for them, and only after a failure the
 * upstream-caller reported as definite and retryable (the provider certainly
 * did not serve it, and another attempt may go differently); every other
 * failure is final.
 */
export function createProxyHandler(endpoint: Endpoint, deps: ProxyDeps) {
  const schema = RequestSchemas[endpoint];
  const errorFrame = ENDPOINTS[endpoint].errorDialect === 'anthropic' ? anthropicErrorFrame : undefined;
  const { config, dispatcher, logger, metrics } = deps;
  const tracer = switchyardTracer();

  return async function proxy(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // A client's own traceparent is continued: its trace then contains the whole gateway path.
    const parent = extractContext((name) => headerValue(request.headers[name]));
    const span = tracer.startSpan(
      `POST ${request.routeOptions.url ?? endpoint}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': 'POST',
          'gen_ai.operation.name': GEN_AI_OPERATION[endpoint],
          'switchyard.request_id': request.id,
          ...(request.clientRequestId ? { 'switchyard.client_request_id': request.clientRequestId } : {}),
        },
      },
      parent,
    );
    const record: RequestRecord = {
      requestId: request.id,
      clientRequestId: request.clientRequestId,
      callerId: request.callerId,
      endpoint,
      requestedModel: null,
      modelGroup: null,
      deploymentId: null,
      attempts: 0,
      providerCalls: 0,
      traceId: span.spanContext().traceId,
      started: performance.now(),
    };
    let delivery: Delivery | null = null;
    let failure: GatewayError | null = null;
    const turn: { pending: PendingTurn | null } = { pending: null };
    const traceContext = trace.setSpan(parent, span);
    // A client that leaves, in any phase, cancels its call: the provider call is aborted and its slot freed.
    const hangUp = watchHangUp(request, reply, () => dispatcher.cancel(request.id));
    try {
      delivery = await handle(request, reply, record, traceContext, turn, hangUp.signal);
    } catch (error) {
      if (hangUp.signal.aborted) {
        // Whatever failed after the client left, there is nobody to tell.
        delivery = clientClosedDelivery();
      } else {
        failure = error instanceof GatewayError ? error : Errors.internal();
        if (!(error instanceof GatewayError)) logger.error({ err: error, requestId: request.id }, 'unexpected error');
        throw failure;
      }
    } finally {
      hangUp.dispose();
      // Nothing is sent to a client that left; fastify must not try to.
      if (delivery?.outcome === 'client_closed' && !reply.sent) reply.hijack();
      finishRequest(record, { delivery, failure }, { logger, metrics, span });
      if (turn.pending && deps.adaptive) {
        await deps.adaptive.turns.publish(turn.pending, delivery?.status ?? failure?.status ?? 500, traceContext);
      }
    }
  };

  async function handle(
    request: FastifyRequest,
    reply: FastifyReply,
    record: RequestRecord,
    traceContext: Context,
    turn: { pending: PendingTurn | null },
    clientGone: AbortSignal,
  ): Promise<Delivery> {
    const { raw, json } = request.body as ParsedBody;
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw zodToGatewayError(parsed.error);
    const body = parsed.data as Record<string, unknown> & { model: string; stream?: boolean | null };
    record.requestedModel = body.model;
    trace.getSpan(traceContext)?.setAttribute('gen_ai.request.model', body.model);
    const routerHeaders: Record<string, string> = {};
    let modelName = body.model;
    if (deps.adaptive?.routing.has(body.model)) {
      const choice = await deps.adaptive.routing.choose(body.model, { body, headers: request.headers, callerId: request.callerId });
      modelName = choice.model;
      routerHeaders['x-switchyard-router-model'] = choice.model;
      routerHeaders['x-litellm-adaptive-router-model'] = choice.model;
      void reply.headers(routerHeaders);
      trace.getSpan(traceContext)?.setAttributes({ 'switchyard.router': choice.router, 'switchyard.request_type': choice.requestType });
      if (choice.sessionKey !== null && Array.isArray(body.messages)) {
        turn.pending = { choice: { ...choice, sessionKey: choice.sessionKey }, conversation: readConversation(body.messages), requestId: request.id };
      }
    }
    const resolved = resolveModel(config, modelName);
    if (!resolved) throw Errors.modelNotFound(body.model);
    record.modelGroup = resolved.group;
    const candidates = shuffleDeployments(resolved.deployments);
    const stream = ENDPOINTS[endpoint].streams && body.stream === true;
    const streamOptions = body.stream_options as { include_usage?: boolean } | null | undefined;

    const promptTokens = estimatePromptTokens(endpoint, body, candidates);
    let bodyRef: string | null = null;
    // request.id is the gateway's own id (never the client's x-request-id): the one key of the stored body.
    if (raw.length > dispatcher.inlineLimit()) bodyRef = await stashBody(request.id, raw);
    try {
      const maxAttempts = 1 + config.router.numRetries;
      for (let attempt = 1; ; attempt++) {
        const deployment: Deployment = candidates[(attempt - 1) % candidates.length]!;
        const envelope: CallEnvelope = {
          v: 1,
          requestId: request.id,
          clientRequestId: request.clientRequestId,
          endpoint,
          requestedModel: body.model,
          modelGroup: resolved.group,
          deploymentId: deployment.id,
          candidates: rotate(candidates, attempt - 1).map((candidate) => candidate.id),
          attempt,
          stream,
          clientWantsUsage: stream && streamOptions?.include_usage === true,
          estimatedPromptTokens: promptTokens,
          ...completionBoundsOf(body),
          timeoutMs: deployment.timeoutMs,
          callerId: request.callerId,
          bodyRef,
          reservation: null,
          admissionHeaders: {},
          anthropicBeta: endpoint === 'messages' ? anthropicBetaOf(request.headers['anthropic-beta']) : null,
        };
        record.attempts = attempt;
        record.deploymentId = deployment.id;
        const result = await dispatcher.attempt(envelope, raw, traceContext, clientGone);
        if (clientGone.aborted) {
          if (result.kind === 'response') result.reply.close();
          return clientClosedDelivery();
        }
        const headers: Record<string, string> = {
          ...routerHeaders,
          ...requestIdHeaders(request),
          'x-switchyard-deployment': result.kind === 'response' ? result.head.deploymentId : deployment.id,
          'x-switchyard-attempts': String(attempt),
        };
        if (result.kind === 'response') {
          // The call is made: no later attempt needs the stored body, so it leaves the bus now, not when delivery ends.
          if (bodyRef) void dispatcher.releaseBody(bodyRef);
          bodyRef = null;
          record.providerCalls += 1;
          record.deploymentId = result.head.deploymentId;
          Object.assign(headers, result.head.headers);
          const waitMs = dispatcher.waitMs(envelope);
          return stream
            ? await deliverStream(reply, result, headers, waitMs, clientGone, errorFrame)
            : await deliverBuffered(reply, result, headers, waitMs, clientGone);
        }
        if (result.providerCalled) record.providerCalls += 1;
        if (!result.retryable || attempt >= maxAttempts) {
          void reply.headers({ ...headers, ...result.headers });
          // An earlier attempt's provider call counts too: the client must not make it twice (x-should-retry).
          throw record.providerCalls > 0 ? result.error.withProviderReached() : result.error;
        }
        logger.warn({ requestId: request.id, attempt, deployment: deployment.id, code: result.error.code }, 'retrying after a definite failure');
      }
    } finally {
      if (bodyRef) void dispatcher.releaseBody(bodyRef);
    }
  }

  /** A full or unreachable body store refuses the request before anything is sent: a 503 the client may retry. */
  async function stashBody(key: string, raw: Buffer): Promise<string> {
    try {
      return await dispatcher.stashBody(key, raw);
    } catch (error) {
      logger.warn({ err: error, requestId: key }, 'could not store a large request body on the bus');
      throw Errors.unavailable('The gateway could not store this large request body on its bus; nothing was sent to a provider.', 'body_store_unavailable');
    }
  }
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const offset = by % items.length;
  return [...items.slice(offset), ...items.slice(0, offset)];
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
