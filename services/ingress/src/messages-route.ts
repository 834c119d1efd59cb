import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { resolveModel, type GatewayConfig } from '@switchyard/config';
import { CountTokensRequest, Errors, type AnthropicErrorBody, type GatewayError, type OpenAIErrorBody } from '@switchyard/contracts';
import { countPromptTokens, encodingFor } from '@switchyard/providers';
import { errorHeaders, toGatewayError, zodToGatewayError } from './errors.js';
import type { ParsedBody } from './proxy.js';

/*
 * Anthropic's Messages API at the ingress: POST /v1/messages goes through the
 * same proxy handler as chat completions (limits, one call, retries, traces,
 * audit), with endpoint `messages`; the providers lib passes it through to
 * Anthropic deployments and translates it for the others. This file holds
 * what differs on these routes: Anthropic's error shape and count_tokens.
 */

const BETA_FLAGS = /^[A-Za-z0-9._-]+(\s*,\s*[A-Za-z0-9._-]+)*$/;

/**
 * The client's `anthropic-beta` flags, carried to an Anthropic deployment
 * (Claude Code sends them for the features its requests use); anything that
 * is not a short list of flag names is dropped rather than forwarded.
 */
export function anthropicBetaOf(header: string | string[] | undefined): string | null {
  const value = (Array.isArray(header) ? header.join(',') : header)?.trim();
  return value !== undefined && value.length <= 1024 && BETA_FLAGS.test(value) ? value : null;
}

/** Anthropic's error type for an HTTP status (https://docs.anthropic.com/en/api/errors). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
    case 415:
    case 422:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

export function toAnthropicError(status: number, body: OpenAIErrorBody): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(status), message: body.error.message } };
}

/** A stream's closing error event, as Anthropic sends one. */
export function anthropicErrorFrame(status: number, body: OpenAIErrorBody): string {
  return `event: error\ndata: ${JSON.stringify(toAnthropicError(status, body))}\n\n`;
}

function sendAnthropicError(reply: FastifyReply, error: GatewayError): FastifyReply {
  return reply
    .code(error.status)
    .headers(errorHeaders(error))
    .header('content-type', 'application/json')
    .send(toAnthropicError(error.status, error.toBody()));
}

/**
 * Input tokens of a Messages request, counted by the gateway with the
 * tokenizer the limiter uses for the model's deployment (no provider call,
 * nothing reserved): what the limiter would count, not Anthropic's exact count.
 */
function countTokens(config: GatewayConfig) {
  return async (request: FastifyRequest): Promise<{ input_tokens: number }> => {
    const { json } = request.body as ParsedBody;
    const parsed = CountTokensRequest.safeParse(json);
    if (!parsed.success) throw zodToGatewayError(parsed.error);
    const resolved = resolveModel(config, parsed.data.model);
    if (resolved === null) throw Errors.modelNotFound(parsed.data.model);
    const deployment = resolved.deployments[0]!;
    return { input_tokens: countPromptTokens('messages', parsed.data, encodingFor(deployment)) };
  };
}

/** Registers the Messages routes in a scope of their own, whose errors have Anthropic's shape. */
export function registerMessagesRoutes(
  app: FastifyInstance,
  config: GatewayConfig,
  proxy: (request: FastifyRequest, reply: FastifyReply) => Promise<void>,
): void {
  void app.register(async (scope) => {
    scope.setErrorHandler((error, request, reply) => {
      const gatewayError = toGatewayError(error, request.routeOptions.bodyLimit);
      if (gatewayError.status >= 500 && gatewayError.code === 'internal_error') request.log.error({ err: error }, 'unhandled error');
      return sendAnthropicError(reply, gatewayError);
    });
    for (const prefix of ['/v1', '']) {
      scope.post(`${prefix}/messages`, proxy);
      scope.post(`${prefix}/messages/count_tokens`, countTokens(config));
    }
  });
}
