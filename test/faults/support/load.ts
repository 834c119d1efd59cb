import { randomBytes } from 'node:crypto';

/**
 * Bounded load for fault tests: a fixed number of requests at a fixed
 * concurrency, each bounded by its own AbortSignal.timeout, each carrying a
 * unique marker (in the user message, so the mock provider's recorded bodies
 * tell how many provider calls it caused, and as x-request-id, so the audit
 * line of the ingress can be found).
 */

export type Kind =
  /** 2xx with a complete body (a stream that ended with [DONE]). */
  | 'ok'
  /** An OpenAI-shaped error the fault allows (status or mid-stream error event), or a refused connection where allowed. */
  | 'clean'
  /** No answer within the client's own timeout. */
  | 'hung'
  /** Anything else: a 5xx the fault does not explain, a body that is not OpenAI-shaped, a response cut without an error. */
  | 'unclean';

export interface Outcome {
  marker: string;
  url: string;
  kind: Kind;
  status: number | null;
  /** The error `code` of an OpenAI error body or error event, else a socket error code. */
  code: string | null;
  /** Response headers had arrived (the ingress accepted the request). */
  responseStarted: boolean;
  retryAfter: string | null;
  detail: string;
  /** The response body (its first 4,000 characters). */
  body: string;
  startedAt: number;
  finishedAt: number;
}

export interface CleanPolicy {
  /** Statuses (>= 400) that are a clean failure for this fault. */
  statuses: readonly number[];
  /** A connection refused or reset before any response byte is a clean failure (an ingress that went away). */
  refusalIsClean?: boolean;
  /** A 200 stream ending with an error event (`data: {"error": ...}`) is a clean failure. */
  streamErrorIsClean?: boolean;
}

export interface RequestSpec {
  /** Ingress base URL, without /v1. */
  url: string;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

const RUN = randomBytes(3).toString('hex');
let sequence = 0;

/** A marker no other request of the run carries. */
export function newMarker(label: string): string {
  sequence += 1;
  return `mk-${label}-${RUN}-${sequence}`;
}

export function chatBody(model: string, marker: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content: `fault probe ${marker}` }], max_tokens: 16, ...extra };
}

function isOpenAIError(value: unknown): value is { error: { message: string; type: string; code: string | null; param: string | null } } {
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const { message, type, code, param } = error as Record<string, unknown>;
  return (
    typeof message === 'string' &&
    typeof type === 'string' &&
    (code === null || typeof code === 'string') &&
    (param === null || typeof param === 'string')
  );
}

function socketCode(error: unknown): string {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const { code, cause, name } = current as { code?: unknown; cause?: unknown; name?: unknown };
    if (typeof code === 'string') return code;
    if (name === 'TimeoutError' || name === 'AbortError') return name;
    current = cause;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The last `data:` JSON event of an SSE body, and whether the body ended with [DONE]. */
function readStream(text: string): { done: boolean; error: unknown } {
  const events = text.split('\n\n').filter((event) => event.startsWith('data: '));
  const done = events.at(-1)?.trim() === 'data: [DONE]';
  let error: unknown = null;
  for (const event of events) {
    if (!event.startsWith('data: {')) continue;
    try {
      const json: unknown = JSON.parse(event.slice('data: '.length));
      if (isOpenAIError(json)) error = json;
    } catch {
      error = { malformed: event.slice(0, 200) };
    }
  }
  return { done, error };
}

/** Sends one request and classifies what came back. Never throws. */
export async function sendOne(
  spec: RequestSpec & { marker: string; path?: string },
  policy: CleanPolicy,
  timeoutMs: number,
): Promise<Outcome> {
  const startedAt = Date.now();
  const base = { marker: spec.marker, url: spec.url, startedAt };
  let responseStarted = false;
  let status: number | null = null;
  let retryAfter: string | null = null;
  let text = '';
  const done = (kind: Kind, code: string | null, detail: string): Outcome => ({
    ...base,
    kind,
    status,
    code,
    responseStarted,
    retryAfter,
    detail,
    body: text.slice(0, 4_000),
    finishedAt: Date.now(),
  });
  try {
    const response = await fetch(`${spec.url}${spec.path ?? '/v1/chat/completions'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': spec.marker, ...spec.headers },
      body: JSON.stringify(spec.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    responseStarted = true;
    status = response.status;
    retryAfter = response.headers.get('retry-after');
    text = await response.text();
    const streamed = (response.headers.get('content-type') ?? '').includes('text/event-stream');
    if (status >= 200 && status < 300) {
      if (streamed) {
        const { done: complete, error } = readStream(text);
        if (error !== null) {
          const code = isOpenAIError(error) ? error.error.code : null;
          return policy.streamErrorIsClean && isOpenAIError(error) && !complete
            ? done('clean', code, 'error event mid-stream')
            : done('unclean', code, `stream with an error event: ${JSON.stringify(error).slice(0, 200)}`);
        }
        return complete ? done('ok', null, '') : done('unclean', null, `stream ended without [DONE] or an error event: ${text.slice(-200)}`);
      }
      try {
        JSON.parse(text);
        return done('ok', null, '');
      } catch {
        return done('unclean', null, `2xx body is not JSON: ${text.slice(0, 200)}`);
      }
    }
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // judged below
    }
    if (!isOpenAIError(body)) return done('unclean', null, `${status} body is not an OpenAI error: ${text.slice(0, 200)}`);
    if (!policy.statuses.includes(status)) return done('unclean', body.error.code, `${status} ${body.error.code}: ${body.error.message}`);
    return done('clean', body.error.code, `${status} ${body.error.code}`);
  } catch (error) {
    const code = socketCode(error);
    if (code === 'TimeoutError' || code === 'AbortError') return done('hung', code, `no answer within ${timeoutMs} ms`);
    if (!responseStarted && policy.refusalIsClean) return done('clean', code, `refused: ${code}`);
    return done('unclean', code, `${responseStarted ? 'broken after the response started' : 'connection error'}: ${code}`);
  }
}

export interface LoadOptions {
  /** How many requests in all. */
  total: number;
  concurrency: number;
  /** The i-th request (0-based) with its marker. */
  request: (index: number, marker: string) => RequestSpec & { path?: string };
  policy: CleanPolicy;
  /** Each request's own deadline. */
  timeoutMs: number;
  label: string;
}

/**
 * A running bounded load. `until` waits for a condition on the outcomes so
 * far (the moment to inject or lift a fault), bounded by a deadline.
 */
export class Load {
  readonly outcomes: Outcome[] = [];
  readonly finished: Promise<Outcome[]>;
  #waiters: Array<{ check: (outcomes: readonly Outcome[]) => boolean; resolve: () => void }> = [];
  #sent = 0;

  constructor(readonly options: LoadOptions) {
    this.finished = this.#run();
  }

  get sent(): number {
    return this.#sent;
  }

  async #run(): Promise<Outcome[]> {
    const worker = async () => {
      for (;;) {
        const index = this.#sent;
        if (index >= this.options.total) return;
        this.#sent += 1;
        const marker = newMarker(this.options.label);
        const spec = this.options.request(index, marker);
        const outcome = await sendOne({ ...spec, marker }, this.options.policy, this.options.timeoutMs);
        this.outcomes.push(outcome);
        this.#notify();
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, worker));
    this.#notify(true);
    return this.outcomes;
  }

  #notify(end = false): void {
    const ready = this.#waiters.filter((waiter) => end || waiter.check(this.outcomes));
    this.#waiters = this.#waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve();
  }

  /** Resolves when `check` holds (or the load ended: then the caller's next assertions tell). */
  async until(check: (outcomes: readonly Outcome[]) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    if (check(this.outcomes)) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#waiters.push({ check, resolve })),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`load ${this.options.label}: timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }
}

export function count(outcomes: readonly Outcome[], kind: Kind, since = 0): number {
  return outcomes.filter((outcome) => outcome.kind === kind && outcome.startedAt >= since).length;
}

/** Sends one request at a time until one succeeds; returns the ms from `from` to that success. */
export async function untilServed(
  spec: (marker: string) => RequestSpec & { path?: string },
  policy: CleanPolicy,
  timeoutMs: number,
  label: string,
  deadlineMs = 30_000,
): Promise<{ recoveredMs: number; outcomes: Outcome[] }> {
  const from = Date.now();
  const outcomes: Outcome[] = [];
  for (;;) {
    const marker = newMarker(label);
    const outcome = await sendOne({ ...spec(marker), marker }, policy, timeoutMs);
    outcomes.push(outcome);
    if (outcome.kind === 'ok') return { recoveredMs: outcome.finishedAt - from, outcomes };
    if (Date.now() - from > deadlineMs) throw new Error(`${label}: not served again within ${deadlineMs} ms; last: ${outcome.detail}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
