import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { Errors, GatewayError } from '@switchyard/contracts';

/** The first problem of a body that failed validation, named by its path, as OpenAI reports it. */
export function zodToGatewayError(error: z.ZodError): GatewayError {
  const issue = error.issues[0];
  if (!issue) return Errors.invalidRequest('The request body is invalid.');
  const path = issue.path.map(String);
  const param = path.length > 0 ? formatPath(path) : null;
  const message = isMissing(issue) ? 'is required' : issue.message;
  return Errors.invalidRequest(param ? `${param}: ${message}` : message, param);
}

/**
 * A required field that is absent, as opposed to one of the wrong type. Zod 4
 * puts the input on an issue only when asked to (`reportInput`); without it,
 * its message is the only place that says what was received.
 */
function isMissing(issue: z.ZodError['issues'][number]): boolean {
  if (issue.code !== 'invalid_type') return false;
  return 'input' in issue ? issue.input === undefined : issue.message.endsWith('received undefined');
}

function formatPath(path: string[]): string {
  return path.map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}

/**
 * The one place any error becomes an HTTP answer: OpenAI's shape, the right
 * status, `Retry-After` where there is one. Unknown errors never leak their
 * message (it could hold anything).
 */
export function toGatewayError(error: unknown, bodyLimit?: number): GatewayError {
  if (error instanceof GatewayError) return error;
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // fastify's error does not carry the limit; the route's options do.
      return Errors.payloadTooLarge(bodyLimit ?? 0);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError({
        status: 415,
        type: 'invalid_request_error',
        code: 'unsupported_media_type',
        message: 'Send the request body as JSON with "Content-Type: application/json".',
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return Errors.invalidRequest('The request body is empty; send a JSON object.', null, 'invalid_json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return Errors.invalidRequest('Content-Length does not match the body.', null, 'invalid_content_length');
    default:
      break;
  }
  if (fastifyError.statusCode === 400 && fastifyError.message) {
    return Errors.invalidRequest(`We could not parse the JSON body of your request: ${fastifyError.message}`, null, 'invalid_json');
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new GatewayError({
      status: fastifyError.statusCode,
      type: 'invalid_request_error',
      code: 'invalid_request',
      message: 'The request was rejected.',
    });
  }
  return Errors.internal();
}

/**
 * Failures a client may simply send again: the gateway refused or could not
 * route the request before anything reached a provider. Every other failure
 * (a timeout, a provider's error, anything after the gateway's own retries)
 * may have made a provider do the work, or the operator's retry policy has
 * already had its say; another attempt is the operator's call, not the SDK's.
 */
const SAFE_TO_RETRY = new Set([
  'rate_limit_exceeded',
  'no_limiter',
  'no_upstream_caller',
  'bus_unavailable',
  'limiter_unavailable',
  'shutting_down',
  'body_store_unavailable',
]);

/**
 * The `x-should-retry` rule, in one place. OpenAI's SDKs retry 408, 409, 429
 * and 5xx (twice, by default) unless the response says `x-should-retry: false`;
 * without it one `create()` against a slow or failing provider becomes three
 * provider calls.
 */
export function clientMayRetry(error: GatewayError): boolean {
  return !error.providerReached && (error.status === 429 || error.status === 503) && SAFE_TO_RETRY.has(error.code);
}

/** Headers every error answer carries, streamed or not. */
export function errorHeaders(error: GatewayError): Record<string, string> {
  const headers: Record<string, string> = { 'x-should-retry': String(clientMayRetry(error)) };
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.ceil(error.retryAfterSeconds));
  return headers;
}

export function sendError(reply: FastifyReply, error: GatewayError): FastifyReply {
  return reply.code(error.status).headers(errorHeaders(error)).header('content-type', 'application/json').send(error.toBody());
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const gatewayError = toGatewayError(error, request.routeOptions.bodyLimit);
  if (gatewayError.status >= 500 && !(error instanceof GatewayError)) {
    request.log.error({ err: error }, 'unhandled error');
  }
  return sendError(reply, gatewayError);
}
