import type { Deployment } from '@switchyard/config';
import { Errors, type GatewayError, type OpenAIErrorBody } from '@switchyard/contracts';
import type { SecretScrubber } from './secrets.js';
import type { FailureOutcome, FailureResponse } from './types.js';

/*
 * The definite rule. `definite: true` means the provider certainly did no
 * billable work for this attempt, so a configured retry or fallback cannot
 * double-bill:
 *   - nothing was sent: misconfigured deployment, DNS failure, connection
 *     refused, connect timeout, TLS failure, a call cancelled before it left;
 *   - the provider answered with an error status (4xx, 429, 5xx): it refused
 *     or failed the request, as LiteLLM treats 429/5xx.
 * `definite: false` for everything after the request may have reached a
 * provider that accepted it: a timeout, a connection reset after sending,
 * a cancellation in flight, a 2xx whose body is not valid, a stream that
 * breaks part way. The gateway never retries those.
 * `retryable` narrows definite failures to those worth another attempt:
 * 429, 408, 5xx, rejected credentials, connection failures, misconfiguration
 * (another deployment of the group may be fine), never a 400 or 404.
 */

/** Longest provider error message relayed to the client. */
const MAX_MESSAGE_CHARS = 2_000;

interface FailureInit {
  status: number;
  providerStatus?: number | null;
  outcome: FailureOutcome;
  definite: boolean;
  retryable?: boolean;
  error: OpenAIErrorBody;
  retryAfterSeconds?: number | null;
}

function failure(init: FailureInit): FailureResponse {
  return {
    kind: 'failure',
    status: init.status,
    providerStatus: init.providerStatus ?? null,
    outcome: init.outcome,
    definite: init.definite,
    retryable: init.definite && (init.retryable ?? false),
    error: init.error,
    retryAfterSeconds: init.retryAfterSeconds ?? null,
  };
}

function fromGatewayError(err: GatewayError, outcome: FailureOutcome, definite: boolean, retryable: boolean): FailureResponse {
  return failure({ status: err.status, outcome, definite, retryable, error: err.toBody() });
}

export function misconfiguredFailure(err: GatewayError): FailureResponse {
  // A request the provider cannot take (a 400 of the gateway's own, nothing sent) is the client's to fix.
  if (err.status === 400) return fromGatewayError(err, 'provider_error', true, false);
  return fromGatewayError(err, 'provider_error', true, true);
}

export function timeoutFailure(deployment: Deployment, timeoutMs: number): FailureResponse {
  const err = Errors.timeout(
    `deployment ${deployment.id} did not answer within ${timeoutMs} ms`,
    'upstream_timeout',
  );
  return fromGatewayError(err, 'timeout', false, false);
}

export function cancelledFailure(deployment: Deployment, sent: boolean): FailureResponse {
  const err = Errors.upstreamFailed(
    `the call to deployment ${deployment.id} was cancelled by the client`,
    'client_cancelled',
    499,
  );
  return fromGatewayError(err, 'cancelled', !sent, false);
}

export function invalidResponseFailure(deployment: Deployment, providerStatus: number, why: string): FailureResponse {
  const err = Errors.upstreamFailed(`deployment ${deployment.id} sent an invalid response: ${why}`, 'upstream_invalid_response');
  return { ...fromGatewayError(err, 'invalid_response', false, false), providerStatus };
}

// Errors raised before a single byte of the request can have reached the provider.
const NOTHING_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_DESTROYED',
  'UND_ERR_CLOSED',
]);

/** The error code of a socket or undici error, looking through wrappers (AggregateError, cause). */
export function errorCode(err: unknown): string | null {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : cause;
  }
  return null;
}

function isTlsCode(code: string): boolean {
  return code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.includes('CERT');
}

/** `responded`: the provider already sent a status line, so the request certainly reached it. */
export function connectionFailure(deployment: Deployment, err: unknown, responded: boolean): FailureResponse {
  const code = errorCode(err);
  const nothingSent = !responded && code !== null && (NOTHING_SENT.has(code) || isTlsCode(code));
  // Only the code is shown: an error's message may carry the full URL.
  const detail = code === null ? '' : ` (${code})`;
  const message = nothingSent
    ? `could not connect to deployment ${deployment.id}${detail}`
    : `the connection to deployment ${deployment.id} failed during the call${detail}`;
  const gatewayError = Errors.upstreamFailed(message, 'upstream_unreachable');
  return fromGatewayError(gatewayError, 'connection_error', nothingSent, true);
}

/** Seconds to wait, from `retry-after-ms` (OpenAI) or `retry-after` (seconds or an HTTP date). */
export function parseRetryAfter(headers: Record<string, string>): number | null {
  const ms = Number(headers['retry-after-ms']);
  if (headers['retry-after-ms'] !== undefined && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  const value = headers['retry-after']?.trim();
  if (value === undefined || value === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.ceil(seconds) : null;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

interface ProviderErrorFields {
  message: string | null;
  type: string | null;
  param: string | null;
  code: string | null;
}

function asText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Reads the error fields of the many shapes providers use (OpenAI, Mistral, vLLM/FastAPI, bare strings). */
function providerErrorFields(json: unknown): ProviderErrorFields | null {
  const root: unknown = Array.isArray(json) ? json[0] : json;
  if (typeof root !== 'object' || root === null) return null;
  const record = root as Record<string, unknown>;
  const error = record.error;
  const source: Record<string, unknown> =
    typeof error === 'object' && error !== null && !Array.isArray(error) ? (error as Record<string, unknown>) : record;
  const message = asText(typeof error === 'string' ? error : (source.message ?? source.detail ?? null));
  if (message === null) return null;
  return {
    message,
    type: typeof source.type === 'string' ? source.type : null,
    param: asText(source.param),
    code: asText(source.code),
  };
}

function typeForStatus(status: number): string {
  if (status === 429) return 'rate_limit_error';
  if (status === 404) return 'not_found_error';
  if (status < 500) return 'invalid_request_error';
  return 'api_error';
}

/** A provider's text for the client: every form of a secret replaced, then bounded (scrubbed first, so no secret is cut in half). */
function relayable(text: string, scrubber: SecretScrubber): string {
  const out = scrubber.text(text);
  return out.length > MAX_MESSAGE_CHARS ? `${out.slice(0, MAX_MESSAGE_CHARS)}...` : out;
}

/**
 * Maps a provider's non-2xx answer to the failure the client sees: 4xx keep
 * their status and the provider's message (the client's request was at
 * fault), 401/403 become 502 with a message of our own (the gateway's
 * credentials are at fault, and OpenAI echoes part of the key in its
 * message), 5xx become 502.
 */
export function httpFailure(
  deployment: Deployment,
  providerStatus: number,
  headers: Record<string, string>,
  bodyText: string,
  scrubber: SecretScrubber,
): FailureResponse {
  const retryAfterSeconds = parseRetryAfter(headers);
  // 498 is Cohere's "invalid token" (its SDK's InvalidTokenError): a credential failure too.
  if (providerStatus === 401 || providerStatus === 403 || providerStatus === 498) {
    const err = Errors.upstreamFailed(
      `the provider rejected the gateway's credentials for deployment ${deployment.id} (HTTP ${providerStatus})`,
      'upstream_auth_failed',
    );
    return { ...fromGatewayError(err, 'provider_error', true, true), providerStatus, retryAfterSeconds };
  }
  let json: unknown = null;
  try {
    json = JSON.parse(bodyText);
  } catch {
    // Not JSON (an HTML error page from a proxy, say): wrapped below.
  }
  const fields = providerErrorFields(json);
  const clientVisible = providerStatus >= 400 && providerStatus < 500;
  const status = clientVisible ? providerStatus : 502;
  const message =
    fields?.message !== undefined && fields.message !== null && fields.message !== ''
      ? relayable(fields.message, scrubber)
      : `deployment ${deployment.id} answered HTTP ${providerStatus}`;
  return failure({
    status,
    providerStatus,
    outcome: 'provider_error',
    definite: true,
    retryable: providerStatus === 408 || providerStatus === 429 || providerStatus >= 500,
    retryAfterSeconds,
    error: {
      error: {
        message,
        type: fields?.type == null ? typeForStatus(status) : relayable(fields.type, scrubber),
        param: fields?.param == null ? null : relayable(fields.param, scrubber),
        code: fields?.code == null ? (clientVisible ? null : 'upstream_error') : relayable(fields.code, scrubber),
      },
    },
  });
}
