import type { FastifyReply, FastifyRequest } from 'fastify';
import { resolveModel, type Deployment, type GatewayConfig } from '@switchyard/config';
import {
  Errors,
  GatewayError,
  GEN_AI_OPERATION,
  RequestSchemas,
  type CallEnvelope,
  type Endpoint,
} from '@switchyard/contracts';
import { readConversation, shuffleDeployments, type ConversationTurn } from '@switchyard/routing';
import type { AdaptiveChoice, AdaptiveRouting } from './adaptive/adaptive-routing.js';
import type { TurnPublisher } from './adaptive/turn-publisher.js';
import { extractContext, SpanKind, switchyardTracer, trace, type Context, type Logger } from '@switchyard/telemetry';
import { finishRequest, type RequestRecord } from './audit.js';
import { deliverBuffered, deliverStream, type Delivery } from './deliver.js';
import type { Dispatcher } from './dispatch.js';
import { estimatePromptTokens, maxCompletionTokensOf } from './estimate.js';
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
  const { config, dispatcher, logger, metrics } = deps;
  const tracer = switchyardTracer();

  return async function proxy(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // A client's own traceparent is continued: its trace then contains the whole gateway path.
    const parent = extractContext((name) => headerValue(request.headers[name]));
    const span = tracer.startSpan(
      `POST ${request.routeOptions.url ?? endpoint}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'gen_ai.operation.name': GEN_AI_OPERATION[endpoint], 'switchyard.request_id': request.id } },
      parent,
    );
    const record: RequestRecord = {
      requestId: request.id,
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
    try {
      delivery = await handle(request, reply, record, traceContext, turn);
    } catch (error) {
      failure = error instanceof GatewayError ? error : Errors.internal();
      if (!(error instanceof GatewayError)) logger.error({ err: error, requestId: request.id }, 'unexpected error');
      throw failure;
    } finally {
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
      const choice = await deps.adaptive.routing.choose(body.model, { body, headers: request.headers, callerId: request.callerId, requestId: request.id });
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
    const stream = endpoint !== 'embeddings' && body.stream === true;
    const streamOptions = body.stream_options as { include_usage?: boolean } | null | undefined;

    const promptTokens = estimatePromptTokens(endpoint, body, candidates);
    let bodyRef: string | null = null;
    if (raw.length > dispatcher.inlineLimit()) bodyRef = await dispatcher.stashBody(request.id, raw);
    try {
      const maxAttempts = 1 + config.router.numRetries;
      for (let attempt = 1; ; attempt++) {
        const deployment: Deployment = candidates[(attempt - 1) % candidates.length]!;
        const envelope: CallEnvelope = {
          v: 1,
          requestId: request.id,
          endpoint,
          requestedModel: body.model,
          modelGroup: resolved.group,
          deploymentId: deployment.id,
          candidates: rotate(candidates, attempt - 1).map((candidate) => candidate.id),
          attempt,
          stream,
          clientWantsUsage: stream && streamOptions?.include_usage === true,
          estimatedPromptTokens: promptTokens,
          maxCompletionTokens: maxCompletionTokensOf(body),
          timeoutMs: deployment.timeoutMs,
          callerId: request.callerId,
          bodyRef,
          reservation: null,
          admissionHeaders: {},
        };
        record.attempts = attempt;
        record.deploymentId = deployment.id;
        const result = await dispatcher.attempt(envelope, raw, traceContext);
        const headers: Record<string, string> = {
          ...routerHeaders,
          'x-request-id': request.id,
          'x-switchyard-deployment': result.kind === 'response' ? result.head.deploymentId : deployment.id,
          'x-switchyard-attempts': String(attempt),
        };
        if (result.kind === 'response') {
          record.providerCalls += 1;
          record.deploymentId = result.head.deploymentId;
          Object.assign(headers, result.head.headers);
          const waitMs = dispatcher.waitMs(envelope);
          return stream
            ? await deliverStream(reply, result, headers, waitMs, () => dispatcher.cancel(request.id))
            : await deliverBuffered(reply, result, headers, waitMs);
        }
        if (result.providerCalled) record.providerCalls += 1;
        if (!result.retryable || attempt >= maxAttempts) {
          void reply.headers({ ...headers, ...result.headers });
          throw result.error;
        }
        logger.warn({ requestId: request.id, attempt, deployment: deployment.id, code: result.error.code }, 'retrying after a definite failure');
      }
    } finally {
      if (bodyRef) void dispatcher.releaseBody(bodyRef);
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
