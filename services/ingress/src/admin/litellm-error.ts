import type { z } from 'zod';
import { GatewayError } from '@switchyard/contracts';

/** LiteLLM's error type names by status (its ProxyErrorTypes). */
const TYPE_BY_STATUS: Record<number, string> = { 400: 'bad_request_error', 401: 'auth_error', 403: 'auth_error', 404: 'not_found_error' };

/** An error in LiteLLM's shape: `{"error": {"message", "type", "param", "code": "<status>"}}`. */
export function litellmError(status: number, message: string, type = TYPE_BY_STATUS[status] ?? 'internal_server_error', param: string | null = null): GatewayError {
  return new GatewayError({ status, type, code: String(status), message, param });
}

/** A management body that does not validate: LiteLLM's 400, naming the first field at fault. */
export function invalidBody(error: z.ZodError): GatewayError {
  const issue = error.issues[0];
  const param = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  const text = issue?.message ?? 'invalid body';
  return litellmError(400, param ? `${param}: ${text}` : text, 'bad_request_error', param);
}
