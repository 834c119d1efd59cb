import { isRecord } from '../usage.js';

/*
 * Bedrock's errors: the status, an `x-amzn-errortype` header
 * (`ThrottlingException:http://internal.amazon.com/coral/...`) and a body
 * `{"message": "..."}` (`Message` or `__type` in some services' dialects).
 * They become OpenAI's `{"error": {message, code}}` with the exception name
 * as the code; failures.ts then maps the status as for every provider
 * (429 and 5xx retryable, 400 not, 401/403 the gateway's credentials).
 */

/** The exception name, without the namespace AWS appends after a colon or a hash. */
function exceptionName(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  const name = value.split(':', 1)[0]!;
  return name.includes('#') ? name.slice(name.lastIndexOf('#') + 1) : name;
}

export function bedrockErrorBody(bodyText: string, headers: Readonly<Record<string, string>>): string {
  let json: unknown = null;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return bodyText;
  }
  if (!isRecord(json)) return bodyText;
  const message = typeof json.message === 'string' ? json.message : typeof json.Message === 'string' ? json.Message : null;
  const code = exceptionName(headers['x-amzn-errortype']) ?? exceptionName(typeof json.__type === 'string' ? json.__type : undefined);
  if (message === null && code === null) return bodyText;
  return JSON.stringify({ error: { message: message ?? code, type: null, param: null, code } });
}
