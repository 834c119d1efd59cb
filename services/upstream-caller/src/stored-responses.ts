import type { Msg } from 'nats';
import { decodeJson } from '@switchyard/bus';
import { Errors, StoredResponseCall, type StoredResponseReply } from '@switchyard/contracts';
import { deploymentFor, type Deployment, type GatewayConfig } from '@switchyard/config';
import type { ProviderClient } from '@switchyard/providers';
import { SpanKind, SpanStatusCode, switchyardTracer, type Logger } from '@switchyard/telemetry';
import { traceContextOf } from '@switchyard/bus';
import { serverAttributes } from './server-address.js';
import { providerWasCalled } from './relay.js';

/**
 * GET and DELETE /v1/responses/{id}, from the ingress (request/reply): one
 * provider call to the deployment that stores the response, its answer
 * relayed as it is (scrubbed of secrets by the provider client). These calls
 * make no completion and cost nothing, so they reserve nothing at the limiter
 * and publish no call-completed event; they have their span like any call.
 */
export function createStoredResponseHandler(deps: {
  client: ProviderClient;
  config: GatewayConfig;
  deployments: ReadonlyMap<string, Deployment>;
  logger: Logger;
}): (msg: Msg) => Promise<void> {
  const tracer = switchyardTracer();
  const answer = (msg: Msg, reply: StoredResponseReply): void => {
    try {
      msg.respond(JSON.stringify(reply));
    } catch (error) {
      deps.logger.warn({ err: error }, 'could not answer a stored-response call: the bus is gone');
    }
  };
  const gatewayError = (status: number, body: unknown): StoredResponseReply => ({ status, body: JSON.stringify(body), contentType: 'application/json', providerCalled: false });

  return async function handleStoredResponse(msg: Msg): Promise<void> {
    const parsed = StoredResponseCall.safeParse(decodeJson(msg.data));
    if (!parsed.success) {
      const error = Errors.internal('The upstream-caller received a malformed stored-response call.');
      answer(msg, gatewayError(error.status, error.toBody()));
      return;
    }
    const call = parsed.data;
    const configured = deps.deployments.get(call.deploymentId);
    // A wildcard route's deployment gets the model the response was made for filled in, as its create call did.
    const deployment = configured?.wildcard ? (deploymentFor(deps.config, call.deploymentId, call.requestedModel ?? '') ?? undefined) : configured;
    if (deployment === undefined) {
      const error = Errors.notFound(`Deployment ${call.deploymentId} is not in this upstream-caller's configuration.`);
      answer(msg, gatewayError(error.status, error.toBody()));
      return;
    }
    const span = tracer.startSpan(
      `responses.${call.operation} ${deployment.providerModel}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': `responses.${call.operation}`,
          'gen_ai.system': deployment.provider,
          'gen_ai.request.model': deployment.providerModel,
          'switchyard.deployment': deployment.id,
          'switchyard.request_id': call.requestId,
          ...serverAttributes(deployment),
        },
      },
      traceContextOf(msg),
    );
    const signal = AbortSignal.timeout(call.timeoutMs);
    try {
      const response = await deps.client.sendStored({ deployment, operation: call.operation, responseId: call.responseId, signal });
      if (response.kind === 'json') {
        span.setAttribute('http.response.status_code', response.status);
        answer(msg, { status: response.status, body: response.body.toString('utf8'), contentType: response.contentType, providerCalled: true });
      } else if (response.kind === 'failure') {
        span.setAttribute('http.response.status_code', response.status);
        span.setStatus({ code: SpanStatusCode.ERROR, message: response.outcome });
        answer(msg, { status: response.status, body: JSON.stringify(response.error), contentType: 'application/json', providerCalled: providerWasCalled(response) });
      } else {
        const error = Errors.upstreamFailed('The provider answered a stored-response call with a stream.', 'invalid_response');
        answer(msg, { ...gatewayError(error.status, error.toBody()), providerCalled: true });
      }
    } finally {
      span.end();
    }
  };
}
