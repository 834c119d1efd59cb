import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deployment, GatewayConfig } from '@switchyard/config';
import { Errors, GatewayError } from '@switchyard/contracts';
import { TRANSLATED_RESPONSE_PREFIX } from '@switchyard/providers';
import { switchyardTracer, trace, type Logger } from '@switchyard/telemetry';
import { finishRequest, startRequest } from './audit.js';
import type { Delivery } from './deliver.js';
import type { IngressMetrics } from './metrics.js';
import { requestIdHeaders } from './request-id.js';
import type { StoredResponses } from './stored-responses.js';

/*
 * GET and DELETE /v1/responses/{id}: a response an OpenAI or Azure deployment
 * stored is read or deleted at that deployment, and only by the caller who
 * made it; everyone else (and every id the gateway never recorded) gets
 * OpenAI's 404, so nobody learns that someone else's response exists.
 * `previous_response_id` on POST follows the same rule and pins the request
 * to that deployment.
 */

const notFound = (responseId: string) => Errors.notFound(`Response with id '${responseId}' not found.`);

/** An id of a response the gateway translated from chat: nothing stores it. */
function notStored(responseId: string, param: string | null): GatewayError {
  return new GatewayError({
    status: 404,
    type: 'invalid_request_error',
    code: 'response_not_stored',
    param,
    message:
      `Response '${responseId}' was made by a deployment that does not serve the Responses API (the gateway translated it from chat completions), ` +
      'and neither that provider nor the gateway stores it. Only responses of OpenAI or Azure deployments with store enabled can be retrieved or continued; send the conversation as input items instead.',
  });
}

interface StoredTarget {
  deployment: Deployment;
  requestedModel: string | null;
}

/** The deployment that stores a response of this caller, or the error the caller gets. */
async function storedTarget(
  stored: StoredResponses | null,
  config: GatewayConfig,
  responseId: string,
  callerId: string | null,
  unknown: () => GatewayError,
  param: string | null,
): Promise<StoredTarget> {
  if (responseId.startsWith(TRANSLATED_RESPONSE_PREFIX)) throw notStored(responseId, param);
  if (stored === null) throw Errors.unavailable('Stored responses are not available on this ingress (it has no message bus).', 'responses_store_unavailable');
  const owner = await stored.owner(responseId);
  if (owner === null || owner.callerId !== callerId) throw unknown();
  const deployment = config.deployments.find((candidate) => candidate.id === owner.deploymentId);
  if (deployment === undefined) {
    throw Errors.notFound(`Response '${responseId}' was made by deployment ${owner.deploymentId}, which this gateway no longer has.`);
  }
  return { deployment, requestedModel: owner.requestedModel ?? null };
}

/** The deployment a `previous_response_id` pins the request to (the one that stores it), for its own caller only. */
export async function pinnedDeployment(stored: StoredResponses | null, config: GatewayConfig, responseId: string, callerId: string | null): Promise<Deployment> {
  const unknown = () =>
    new GatewayError({ status: 404, type: 'invalid_request_error', code: 'previous_response_not_found', param: 'previous_response_id', message: `Previous response with id '${responseId}' not found.` });
  return (await storedTarget(stored, config, responseId, callerId, unknown, 'previous_response_id')).deployment;
}

export interface StoredResponseRouteDeps {
  config: GatewayConfig;
  stored: StoredResponses | null;
  logger: Logger;
  metrics: IngressMetrics;
}

export function registerStoredResponseRoutes(app: FastifyInstance, deps: StoredResponseRouteDeps): void {
  const tracer = switchyardTracer();
  const handler = (operation: 'retrieve' | 'delete') =>
    async function storedResponse(request: FastifyRequest<{ Params: { id: string }; Querystring: Record<string, unknown> }>, reply: FastifyReply): Promise<void> {
      const method = operation === 'retrieve' ? 'GET' : 'DELETE';
      const { span, parent, record } = startRequest(request, tracer, {
        endpoint: 'responses',
        method,
        fallbackRoute: '/v1/responses/:id',
        operation: `responses.${operation}`,
      });
      let delivery: Delivery | null = null;
      let failure: GatewayError | null = null;
      try {
        const responseId = request.params.id;
        // A stream of a stored response replays it from OpenAI's background mode: not relayed by the gateway.
        if (operation === 'retrieve' && (request.query.stream === 'true' || request.query.stream === true)) {
          throw Errors.invalidRequest('Streaming a stored response (stream=true) is not supported by the gateway; retrieve it without stream.', 'stream', 'unsupported_parameter');
        }
        const { deployment, requestedModel } = await storedTarget(deps.stored, deps.config, responseId, request.callerId, () => notFound(responseId), null);
        record.modelGroup = deployment.modelName;
        record.deploymentId = deployment.id;
        record.attempts = 1;
        const answer = await deps.stored!.call(
          { requestId: request.id, operation, responseId, deploymentId: deployment.id, requestedModel, timeoutMs: deployment.timeoutMs },
          trace.setSpan(parent, span),
        );
        if (answer.providerCalled) record.providerCalls = 1;
        // Deleted, or gone at the provider (expired): the gateway forgets it too.
        if ((operation === 'delete' && answer.status < 300) || answer.status === 404) await deps.stored!.forget(responseId);
        void reply
          .code(answer.status)
          .headers({ ...requestIdHeaders(request), 'x-switchyard-deployment': deployment.id, 'x-litellm-model-id': deployment.id })
          .header('content-type', answer.contentType)
          .send(answer.body);
        delivery = { status: answer.status, usage: null, outcome: answer.status < 400 ? 'ok' : 'upstream_error' };
      } catch (error) {
        failure = error instanceof GatewayError ? error : Errors.internal();
        if (!(error instanceof GatewayError)) deps.logger.error({ err: error, requestId: request.id }, 'unexpected error');
        throw failure;
      } finally {
        finishRequest(record, { delivery, failure }, { logger: deps.logger, metrics: deps.metrics, span });
      }
    };
  for (const prefix of ['/v1', '']) {
    app.get(`${prefix}/responses/:id`, handler('retrieve'));
    app.delete(`${prefix}/responses/:id`, handler('delete'));
  }
}

/**
 * A Responses stream's closing error event, as OpenAI sends one, numbered
 * after the last event relayed (the ingress relays events as bytes; only the
 * last frames are read, once, when the stream fails).
 */
export function responsesErrorFrame(
  _status: number,
  body: { error: { message: string; code: string | null; param: string | null } },
  lastChunk: Uint8Array | null = null,
): string {
  const { message, code, param } = body.error;
  const sequenceNumber = lastChunk === null ? 0 : nextSequenceNumber(Buffer.from(lastChunk.buffer, lastChunk.byteOffset, lastChunk.byteLength).toString('utf8'));
  return `event: error\ndata: ${JSON.stringify({ type: 'error', code, message, param, sequence_number: sequenceNumber })}\n\n`;
}

/** One more than the last `sequence_number` in `frames`, or 0 when it holds none. */
export function nextSequenceNumber(frames: string): number {
  const at = frames.lastIndexOf('"sequence_number":');
  if (at === -1) return 0;
  const match = /^"sequence_number":\s*(\d{1,15})/.exec(frames.slice(at, at + 40));
  return match ? Number(match[1]) + 1 : 0;
}
