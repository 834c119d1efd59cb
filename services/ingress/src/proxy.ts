import type { FastifyReply, FastifyRequest } from 'fastify';
import { resolveModel, type Deployment, type GatewayConfig } from '@switchyard/config';
import {
  Errors,
  GatewayError,
  GEN_AI_OPERATION,
  ENDPOINTS,
  MASTER_CALLER,
  RequestSchemas,
  type CallEnvelope,
  type Endpoint,
} from '@switchyard/contracts';
import { readConversation, type ConversationTurn, type PolicyContext } from '@switchyard/routing';
import { modelDenial, requestTagsOf } from '@switchyard/virtual-keys';
import { runAttempts } from './attempt-runner.js';
import { readClientFallbacks } from './client-fallbacks.js';
import type { AdaptiveChoice, AdaptiveRouting } from './adaptive/adaptive-routing.js';
import type { TurnPublisher } from './adaptive/turn-publisher.js';
import { switchyardTracer, trace, type Context, type Logger } from '@switchyard/telemetry';
import { anthropicBetaOf, anthropicErrorFrame } from './messages-route.js';
import { pinnedDeployment, responsesErrorFrame } from './responses-route.js';
import type { StoredResponses } from './stored-responses.js';
import { finishRequest, startRequest, type RequestRecord } from './audit.js';
import { clientClosedDelivery, deliverBuffered, deliverStream, type Delivery } from './deliver.js';
import type { Dispatcher } from './dispatch.js';
import { onAbort, watchHangUp } from './hang-up.js';
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
  /** Where a `previous_response_id` is looked up (null without a bus: such requests get a 503). */
  storedResponses?: StoredResponses | null;
}

/** A learned turn waiting for its response to finish before it is published. */
interface PendingTurn {
  choice: AdaptiveChoice & { sessionKey: string };
  conversation: ConversationTurn;
  requestId: string;
}

/**
 * The handler of every OpenAI POST endpoint: validate, resolve the model to
 * its group, then send the attempts the attempt policy decides (libs/routing:
 * retries and fallbacks only after a definite failure, within
 * 1 + retries + max_fallbacks calls) and relay the first reply that starts.
 */
export function createProxyHandler(endpoint: Endpoint, deps: ProxyDeps) {
  const schema = RequestSchemas[endpoint];
  const errorFrame = ENDPOINTS[endpoint].errorDialect === 'anthropic' ? anthropicErrorFrame : endpoint === 'responses' ? responsesErrorFrame : undefined;
  const { config, dispatcher, logger, metrics } = deps;
  const tracer = switchyardTracer();

  return async function proxy(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // A client's own traceparent is continued: its trace then contains the whole gateway path.
    const { span, parent, record } = startRequest(request, tracer, {
      endpoint,
      method: 'POST',
      fallbackRoute: endpoint,
      operation: GEN_AI_OPERATION[endpoint],
    });
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
    const auth = request.auth;
    if (auth?.key) {
      // LiteLLM's check, before any routing: the key's models, then its team's.
      const denial = modelDenial(config, body.model, auth.key.models, auth.team?.models ?? null);
      if (denial) throw new GatewayError({ status: 401, type: denial.type, code: '401', param: 'model', message: denial.message });
    }
    const caller = auth?.caller ?? MASTER_CALLER;
    const tags = requestTagsOf(body);
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
    // A response that continues a stored one can only be made where that one is stored.
    const previous = typeof body.previous_response_id === 'string' ? body.previous_response_id : null;
    const pinned = endpoint === 'responses' && previous !== null ? await pinnedDeployment(deps.storedResponses ?? null, config, previous, request.callerId) : null;
    if (pinned !== null && !resolved.deployments.some((deployment) => deployment.id === pinned.id)) {
      throw Errors.invalidRequest(
        `previous_response_id '${previous}' is stored by deployment ${pinned.id} of model ${pinned.modelName}; ask for model ${pinned.modelName} to continue it.`,
        'model',
        'previous_response_elsewhere',
      );
    }
    const clientFallbacks = pinned === null ? readClientFallbacks(body.fallbacks, config) : [];
    const stream = ENDPOINTS[endpoint].streams && body.stream === true;
    const streamOptions = body.stream_options as { include_usage?: boolean } | null | undefined;
    const policyContext: PolicyContext = {
      settings: config.router.reliability,
      deploymentsOf: (group) => {
        if (pinned !== null) return group === resolved.group ? resolved.deployments.filter((deployment) => deployment.id === pinned.id) : [];
        return group === resolved.group ? resolved.deployments : (resolveModel(config, group)?.deployments ?? []);
      },
    };
    // The prompt estimate depends on the group's tokenizers: made once per group tried.
    const estimates = new Map<string, number>();
    const promptTokensFor = (group: string, candidates: readonly Deployment[]): number => {
      let tokens = estimates.get(group);
      if (tokens === undefined) estimates.set(group, (tokens = estimatePromptTokens(endpoint, body, candidates)));
      return tokens;
    };

    const completionBounds = completionBoundsOf(body);
    const anthropicBeta = endpoint === 'messages' ? anthropicBetaOf(request.headers['anthropic-beta']) : null;
    let bodyRef: string | null = null;
    // request.id is the gateway's own id (never the client's x-request-id): the one key of the stored body.
    if (raw.length > dispatcher.inlineLimit()) bodyRef = await stashBody(request.id, raw);
    try {
      let lastEnvelope: CallEnvelope | null = null;
      // The attempt policy decides every attempt (libs/routing); this only sends them.
      const run = await runAttempts({ group: resolved.group, clientFallbacks }, policyContext, {
        send: async (step) => {
          const first = step.candidates[0]!;
          const envelope: CallEnvelope = {
            v: 1,
            requestId: request.id,
            clientRequestId: request.clientRequestId,
            endpoint,
            requestedModel: body.model,
            modelGroup: step.group,
            deploymentId: first.id,
            candidates: step.candidates.map((candidate) => candidate.id),
            attempt: step.attempt,
            stream,
            clientWantsUsage: stream && (ENDPOINTS[endpoint].alwaysStreamsUsage === true || streamOptions?.include_usage === true),
            estimatedPromptTokens: promptTokensFor(step.group, step.candidates),
            ...completionBounds,
            timeoutMs: first.timeoutMs,
            callerId: request.callerId,
            caller,
            tags,
            bodyRef,
            reservation: null,
            admissionHeaders: {},
            anthropicBeta,
          };
          lastEnvelope = envelope;
          record.attempts = step.attempt;
          record.deploymentId = first.id;
          const result = await dispatcher.attempt(envelope, raw, traceContext, clientGone);
          if (result.kind === 'failure' && result.providerCalled) record.providerCalls += 1;
          return result;
        },
        isCancelled: () => clientGone.aborted,
        wait: (ms) => waitUnlessGone(ms, clientGone),
        onAttemptFailed: (entry, next) => {
          if (next) metrics.attempts.inc({ kind: next.role, model: resolved.group });
          logger.warn({ requestId: request.id, ...entry, next: next?.role ?? 'stop' }, next ? `attempt failed: ${next.role} follows` : 'attempt failed: no retry or fallback');
        },
      });
      if (!run || !lastEnvelope) throw Errors.modelNotFound(body.model);
      record.attemptTrail = run.trail;
      record.fallbacks = run.fallbacks;
      const result = run.result;
      if (clientGone.aborted) {
        if (result.kind === 'response') result.reply.close();
        return clientClosedDelivery();
      }
      const deploymentId = result.kind === 'response' ? result.head.deploymentId : (result.deploymentId ?? null);
      const headers: Record<string, string> = {
        ...routerHeaders,
        ...requestIdHeaders(request),
        'x-switchyard-deployment': deploymentId ?? run.step.candidates[0]!.id,
        'x-switchyard-attempts': String(run.trail.length),
        'x-switchyard-fallbacks': String(run.fallbacks),
        // LiteLLM's names for the same counts, and for what served the request.
        'x-litellm-attempted-retries': String(run.retries),
        'x-litellm-attempted-fallbacks': String(run.fallbacks),
        'x-litellm-model-group': run.step.group,
        ...(deploymentId ? { 'x-litellm-model-id': deploymentId } : {}),
      };
      if (result.kind === 'response') {
        // The call is made: no later attempt needs the stored body, so it leaves the bus now, not when delivery ends.
        if (bodyRef) void dispatcher.releaseBody(bodyRef);
        bodyRef = null;
        record.providerCalls += 1;
        record.deploymentId = result.head.deploymentId;
        Object.assign(headers, result.head.headers);
        // Past this point nothing is retried: once the first byte reached the client, a failure is an error event in the stream.
        const waitMs = dispatcher.waitMs(lastEnvelope);
        return stream
          ? await deliverStream(reply, result, headers, waitMs, clientGone, errorFrame)
          : await deliverBuffered(reply, result, headers, waitMs, clientGone);
      }
      record.deploymentId = deploymentId ?? record.deploymentId;
      void reply.headers({ ...headers, ...result.headers });
      // An earlier attempt's provider call counts too: the client must not make it twice (x-should-retry).
      throw record.providerCalls > 0 ? result.error.withProviderReached() : result.error;
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

/** Waits a backoff; false when the client left meanwhile (nothing more is sent for it). */
function waitUnlessGone(ms: number, clientGone: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stopWatching();
      resolve(true);
    }, ms);
    const stopWatching = onAbort(clientGone, () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
