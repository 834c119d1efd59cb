import type { FastifyReply, FastifyRequest } from 'fastify';
import { resolveModel, type Deployment, type GatewayConfig } from '@switchyard/config';
import {
  Errors,
  GatewayError,
  RequestSchemas,
  type CallEnvelope,
  type Endpoint,
} from '@switchyard/contracts';
import { shuffleDeployments } from '@switchyard/routing';
import type { Logger } from '@switchyard/telemetry';
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
}

/** What the audit line and metrics need from one client request. */
interface RequestRecord {
  requestedModel: string | null;
  /** The resolved group: a bounded metric label, unlike what clients send. */
  modelGroup: string | null;
  deploymentId: string | null;
  attempts: number;
  providerCalls: number;
}

/**
 * The handler of every OpenAI POST endpoint: validate, resolve the model to
 * one deployment, publish the decision, relay the reply. Retries happen only
 * after a failure the upstream-caller reported as definite, and only when
 * `num_retries` asks for them; every other failure is final.
 */
export function createProxyHandler(endpoint: Endpoint, deps: ProxyDeps) {
  const schema = RequestSchemas[endpoint];
  const { config, dispatcher, logger, metrics } = deps;

  return async function proxy(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const started = performance.now();
    const record: RequestRecord = { requestedModel: null, modelGroup: null, deploymentId: null, attempts: 0, providerCalls: 0 };
    let delivery: Delivery | null = null;
    let failure: GatewayError | null = null;
    try {
      delivery = await handle(request, reply, record);
    } catch (error) {
      failure = error instanceof GatewayError ? error : Errors.internal();
      if (!(error instanceof GatewayError)) logger.error({ err: error, requestId: request.id }, 'unexpected error');
      throw failure;
    } finally {
      const status = delivery?.status ?? failure?.status ?? 500;
      metrics.requests.inc({ endpoint, status: String(status), model: record.modelGroup ?? 'unknown' });
      metrics.duration.observe({ endpoint }, (performance.now() - started) / 1000);
      logger.info(
        {
          audit: true,
          requestId: request.id,
          caller: request.callerId,
          endpoint,
          requestedModel: record.requestedModel,
          deployment: record.deploymentId,
          attempts: record.attempts,
          providerCalls: record.providerCalls,
          status,
          outcome: delivery?.outcome ?? failure?.code,
          usage: delivery?.usage ?? null,
          latencyMs: Math.round((performance.now() - started) * 100) / 100,
        },
        'request',
      );
    }
  };

  async function handle(request: FastifyRequest, reply: FastifyReply, record: RequestRecord): Promise<Delivery> {
    const { raw, json } = request.body as ParsedBody;
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw zodToGatewayError(parsed.error);
    const body = parsed.data as Record<string, unknown> & { model: string; stream?: boolean | null };
    record.requestedModel = body.model;
    const resolved = resolveModel(config, body.model);
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
        const result = await dispatcher.attempt(envelope, raw);
        const headers: Record<string, string> = {
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
        if (!result.definite || attempt >= maxAttempts) {
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
