import { PendingReply, type InboxEvent } from '@switchyard/bus';
import { GatewayError, type CallEnvelope, type OpenAIErrorBody, type ReplyHead, type Usage } from '@switchyard/contracts';
import type { Context } from '@switchyard/telemetry';
import type { AttemptResult, Dispatcher } from '../dispatch.js';

/*
 * A Dispatcher for in-process tests of the ingress app (fastify `inject`): no
 * bus, no limiter, no upstream-caller. It records what the app asked to send
 * and answers with the same objects the real dispatcher builds from the bus
 * (a `PendingReply` fed with `ReplyMessage`s), so deliver.ts runs unchanged.
 * For tests only: nothing in the package index exports it.
 */

/** How one attempt is answered. */
export type FakeReply =
  /** A whole body in one `full` message (what the caller sends for a non-streamed response). */
  | { kind: 'json'; body: unknown; status?: number; headers?: Record<string, string>; usage?: Usage | null; deploymentId?: string }
  /**
   * A stream: `head`, one `chunk` per event (objects become `data: <json>` frames,
   * strings are sent as they are, e.g. 'data: [DONE]\n\n'), then `end`, or an
   * `error` part when `errorAfter` is set. With `open: true` nothing follows the
   * events: the test pushes more on `attempts[i].reply`.
   */
  | {
      kind: 'sse';
      events: Array<string | object>;
      status?: number;
      headers?: Record<string, string>;
      usage?: Usage | null;
      deploymentId?: string;
      errorAfter?: OpenAIErrorBody;
      open?: boolean;
    }
  /** A failure as the upstream-caller (or limiter) reports one in an `error` part. */
  | {
      kind: 'failure';
      status: number;
      body: OpenAIErrorBody;
      definite?: boolean;
      retryable?: boolean;
      providerCalled?: boolean;
      retryAfterSeconds?: number;
      headers?: Record<string, string>;
    }
  /** Any result as is, e.g. a failure the real dispatcher makes itself (bus down, no limiter). */
  | { kind: 'result'; result: AttemptResult };

/** One `attempt` call: what the app sent, and the reply it was given (null for a failure). */
export interface RecordedAttempt {
  envelope: CallEnvelope;
  body: Uint8Array;
  trace: Context;
  reply: PendingReply | null;
}

export interface FakeDispatcherOptions {
  /** Bodies larger than this are stashed (default: 1 MiB, the bus's usual inline limit). */
  inlineLimit?: number;
  /**
   * How long deliver.ts waits for each next reply message. Default 5 s, not the
   * deployment's timeout: a fake answers at once, and a test that leaves a
   * stream open by mistake should fail with a 504, not at the test timeout.
   */
  waitMs?: number;
}

const COMPLETION = {
  id: 'chatcmpl-fake',
  object: 'chat.completion',
  created: 0,
  model: 'fake',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
};

const COMPLETION_CHUNK = {
  id: 'chatcmpl-fake',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'fake',
  choices: [{ index: 0, delta: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
};

/** Unless a test says otherwise, every attempt succeeds in the form the request asked for. */
function defaultReply(envelope: CallEnvelope): FakeReply {
  return envelope.stream ? { kind: 'sse', events: [COMPLETION_CHUNK, 'data: [DONE]\n\n'] } : { kind: 'json', body: COMPLETION };
}

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

export class FakeDispatcher implements Dispatcher {
  readonly attempts: RecordedAttempt[] = [];
  /** Bodies put in the (fake) object store, by key, until released. */
  readonly stashed = new Map<string, Uint8Array>();
  readonly released: string[] = [];
  readonly cancelled: string[] = [];
  readonly #queued: FakeReply[] = [];
  #default: FakeReply | null = null;
  #openReplies = 0;
  readonly #options: FakeDispatcherOptions;

  constructor(options: FakeDispatcherOptions = {}) {
    this.#options = options;
  }

  /**
   * Every attempt from now on is answered with `reply` (after any queued by
   * `respondOnce`); until then, with a completion (streamed when asked for).
   */
  respond(reply: FakeReply): this {
    this.#default = reply;
    return this;
  }

  /** The next attempts are answered with these, in order; then the `respond` default again. */
  respondOnce(...replies: FakeReply[]): this {
    this.#queued.push(...replies);
    return this;
  }

  /** Replies handed to the app and not yet closed: deliver.ts closes every one it is given. */
  get openReplies(): number {
    return this.#openReplies;
  }

  /** The JSON bodies the app sent, parsed. */
  sentBodies(): unknown[] {
    return this.attempts.map((attempt) => JSON.parse(Buffer.from(attempt.body).toString('utf8')) as unknown);
  }

  inlineLimit(): number {
    return this.#options.inlineLimit ?? 1024 * 1024;
  }

  waitMs(): number {
    return this.#options.waitMs ?? 5_000;
  }

  async stashBody(key: string, body: Uint8Array): Promise<string> {
    this.stashed.set(key, body);
    return key;
  }

  async releaseBody(key: string): Promise<void> {
    this.stashed.delete(key);
    this.released.push(key);
  }

  cancel(requestId: string): void {
    this.cancelled.push(requestId);
  }

  async attempt(envelope: CallEnvelope, body: Uint8Array, trace: Context): Promise<AttemptResult> {
    const answer = this.#queued.shift() ?? this.#default ?? defaultReply(envelope);
    const recorded: RecordedAttempt = { envelope, body: Uint8Array.from(body), trace, reply: null };
    this.attempts.push(recorded);
    const result = this.#resultOf(answer, envelope);
    if (result.kind === 'response') recorded.reply = result.reply;
    return result;
  }

  #resultOf(answer: FakeReply, envelope: CallEnvelope): AttemptResult {
    switch (answer.kind) {
      case 'result':
        return answer.result;
      case 'failure':
        return {
          kind: 'failure',
          error: GatewayError.fromBody(answer.status, answer.body, answer.retryAfterSeconds),
          definite: answer.definite ?? true,
          retryable: (answer.definite ?? true) && (answer.retryable ?? false),
          providerCalled: answer.providerCalled ?? true,
          headers: answer.headers ?? {},
        };
      case 'json': {
        // The upstream-caller never answers a stream with one `full` message; deliver.ts would wait for chunks.
        if (envelope.stream) throw new Error('FakeDispatcher: a streamed request needs an `sse` (or `failure`) reply, not `json`');
        const head = this.#head(envelope, answer.status ?? 200, 'application/json', answer);
        const first = {
          part: 'full' as const,
          meta: { ...head, end: { usage: answer.usage ?? null, latencyMs: 1 } },
          data: encoder.encode(JSON.stringify(answer.body)),
        };
        return { kind: 'response', head, first, reply: this.#openReply() };
      }
      case 'sse': {
        const head = this.#head(envelope, answer.status ?? 200, 'text/event-stream', answer);
        const reply = this.#openReply();
        for (const event of answer.events) reply.push(chunk(event));
        if (answer.errorAfter) reply.push(errorPart(answer.errorAfter, head));
        else if (!answer.open) reply.push({ part: 'end', meta: { usage: answer.usage ?? null, latencyMs: 1 }, data: EMPTY });
        return { kind: 'response', head, first: { part: 'head', meta: head, data: EMPTY }, reply };
      }
    }
  }

  #head(
    envelope: CallEnvelope,
    status: number,
    contentType: string,
    answer: { headers?: Record<string, string>; deploymentId?: string },
  ): ReplyHead {
    return { status, contentType, deploymentId: answer.deploymentId ?? envelope.deploymentId, attempt: envelope.attempt, headers: answer.headers ?? {} };
  }

  #openReply(): PendingReply {
    this.#openReplies += 1;
    return new PendingReply(`_INBOX.fake.${this.attempts.length}`, () => {
      this.#openReplies -= 1;
    });
  }
}

/** An SSE frame as the upstream-caller sends it: one `chunk` message per event. */
export function chunk(event: string | object): InboxEvent {
  const frame = typeof event === 'string' ? event : `data: ${JSON.stringify(event)}\n\n`;
  return { part: 'chunk', meta: null, data: encoder.encode(frame) };
}

function errorPart(body: OpenAIErrorBody, head: ReplyHead): InboxEvent {
  return {
    part: 'error',
    meta: {
      status: head.status,
      body,
      definite: false,
      retryable: false,
      providerCalled: true,
      deploymentId: head.deploymentId,
      attempt: head.attempt,
      retryAfterSeconds: null,
      headers: {},
    },
    data: EMPTY,
  };
}
