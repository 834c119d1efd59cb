import { z } from 'zod';

/** The `error` object OpenAI returns; every Switchyard error body has this shape. */
export const OpenAIErrorObject = z.object({
  message: z.string(),
  type: z.string(),
  param: z.string().nullable(),
  code: z.string().nullable(),
});
export type OpenAIErrorObject = z.infer<typeof OpenAIErrorObject>;

export const OpenAIErrorBody = z.object({ error: OpenAIErrorObject });
export type OpenAIErrorBody = z.infer<typeof OpenAIErrorBody>;

interface GatewayErrorInit {
  status: number;
  type: string;
  code: string;
  message: string;
  param?: string | null;
  retryAfterSeconds?: number;
  providerReached?: boolean;
}

/**
 * The one error type that crosses module and service boundaries. Its `code`
 * is stable (clients and tests match on it); `status` is the HTTP status the
 * ingress answers with.
 */
export class GatewayError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly param: string | null;
  readonly retryAfterSeconds: number | undefined;
  /**
   * Some attempt of this request reached a provider, or may have: a client
   * retry could make the provider do the same work again.
   */
  readonly providerReached: boolean;

  constructor(init: GatewayErrorInit) {
    super(init.message);
    this.name = 'GatewayError';
    this.status = init.status;
    this.type = init.type;
    this.code = init.code;
    this.param = init.param ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.providerReached = init.providerReached ?? false;
  }

  /** The same error, known to come after a provider call of this request. */
  withProviderReached(): GatewayError {
    if (this.providerReached) return this;
    const { status, type, code, message, param, retryAfterSeconds } = this;
    const init: GatewayErrorInit = { status, type, code, message, param, providerReached: true };
    if (retryAfterSeconds !== undefined) init.retryAfterSeconds = retryAfterSeconds;
    return new GatewayError(init);
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  static fromBody(status: number, body: OpenAIErrorBody, retryAfterSeconds?: number): GatewayError {
    const init: GatewayErrorInit = {
      status,
      type: body.error.type,
      code: body.error.code ?? 'upstream_error',
      message: body.error.message,
      param: body.error.param,
    };
    if (retryAfterSeconds !== undefined) init.retryAfterSeconds = retryAfterSeconds;
    return new GatewayError(init);
  }
}

/** Constructors for every error the gateway raises itself. */
export const Errors = {
  invalidRequest: (message: string, param: string | null = null, code = 'invalid_request') =>
    new GatewayError({ status: 400, type: 'invalid_request_error', code, message, param }),
  unauthorized: (message = 'Incorrect or missing API key. Send it as "Authorization: Bearer <key>".') =>
    new GatewayError({ status: 401, type: 'authentication_error', code: 'invalid_api_key', message }),
  modelNotFound: (model: string) =>
    new GatewayError({
      status: 404,
      type: 'invalid_request_error',
      code: 'model_not_found',
      param: 'model',
      message: `The model "${model}" does not exist on this gateway. GET /v1/models lists the models it serves.`,
    }),
  notFound: (message: string) =>
    new GatewayError({ status: 404, type: 'invalid_request_error', code: 'not_found', message }),
  payloadTooLarge: (limitBytes: number) =>
    new GatewayError({
      status: 413,
      type: 'invalid_request_error',
      code: 'request_too_large',
      message: `Request body is larger than the gateway's limit of ${limitBytes} bytes.`,
    }),
  rateLimited: (message: string, retryAfterSeconds: number) =>
    new GatewayError({ status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', message, retryAfterSeconds }),
  upstreamFailed: (message: string, code = 'upstream_error', status = 502) =>
    new GatewayError({ status, type: 'api_error', code, message }),
  unavailable: (message: string, code = 'service_unavailable') =>
    new GatewayError({ status: 503, type: 'api_error', code, message }),
  timeout: (message: string, code = 'gateway_timeout') =>
    new GatewayError({ status: 504, type: 'timeout_error', code, message }),
  internal: (message = 'The gateway failed to handle this request.') =>
    new GatewayError({ status: 500, type: 'server_error', code: 'internal_error', message }),
} as const;
