import type { ReplyWriter } from '@switchyard/bus';
import type { CallEnvelope, CallOutcome, Usage } from '@switchyard/contracts';
import type { Deployment } from '@switchyard/config';
import { withoutNullUsage, type FailureResponse, type ProviderClient } from '@switchyard/providers';
import { callCost, costHeaderValue } from '@switchyard/pricing';
import { StreamedText } from './streamed-usage.js';

export interface CallResult {
  status: number;
  outcome: CallOutcome;
  usage: Usage | null;
  /** False when the call never left the gateway (nothing to count or bill). */
  providerCalled: boolean;
  /** USD from the usage and the deployment's (or the price table's) prices; null when either is unknown. */
  cost: number | null;
}

/**
 * The cost headers of a whole (non-streamed) response: Switchyard's and
 * LiteLLM's name. A stream's head leaves before its usage is known, so a
 * stream carries none: its cost is in the audit line and the ledger.
 */
function costHeaders(cost: number | null): Record<string, string> {
  if (cost === null) return {};
  const value = costHeaderValue(cost);
  return { 'x-switchyard-response-cost': value, 'x-litellm-response-cost': value };
}

const encoder = new TextEncoder();

/**
 * Makes the one provider call of an admitted request and relays what comes
 * back to the ingress inbox: a whole JSON body, SSE events as they arrive, or
 * an error that says whether the failure was definite.
 */
export async function relayCall(options: {
  client: ProviderClient;
  deployment: Deployment;
  envelope: CallEnvelope;
  body: Record<string, unknown>;
  /** The body as the client sent it (the provider gets these bytes, edited only where it must). */
  bodyText: string;
  writer: ReplyWriter;
  signal: AbortSignal;
  startedAt: number;
  /**
   * The provider stored the response under this id (the Responses API): the
   * gateway records where, before the client can see the id and ask for it.
   */
  onStoredResponse?: (responseId: string) => Promise<void>;
}): Promise<CallResult> {
  const { client, deployment, envelope, writer, startedAt } = options;
  const head = { deploymentId: deployment.id, attempt: envelope.attempt, headers: envelope.admissionHeaders };
  const response = await client.send({
    deployment,
    endpoint: envelope.endpoint,
    body: options.body,
    bodyText: options.bodyText,
    stream: envelope.stream,
    wantUsage: envelope.clientWantsUsage,
    signal: options.signal,
    anthropicBeta: envelope.anthropicBeta,
  });
  const elapsed = () => performance.now() - startedAt;

  switch (response.kind) {
    case 'json': {
      if (response.storedResponseId !== undefined) await options.onStoredResponse?.(response.storedResponseId);
      const cost = callCost(deployment, response.usage)?.usd ?? null;
      writer.complete(
        { ...head, headers: { ...head.headers, ...costHeaders(cost) }, status: response.status, contentType: response.contentType },
        response.body,
        { usage: response.usage, latencyMs: elapsed(), cost },
      );
      return { status: response.status, outcome: 'ok', usage: response.usage, providerCalled: true, cost };
    }
    case 'stream': {
      writer.head({ ...head, status: response.status, contentType: 'text/event-stream' });
      let usage: Usage | null = null;
      const streamed = new StreamedText();
      // Settlement needs a usage even when the provider sends none: then it is counted from the text.
      const usageOf = (): Usage => usage ?? streamed.usage(envelope, deployment);
      const frames = new FrameCoalescer((text) => writer.chunk(encoder.encode(text)));
      try {
        for await (const event of response.events) {
          if (event.storedResponseId !== undefined) await options.onStoredResponse?.(event.storedResponseId);
          if (event.usage) usage = event.usage;
          else if (usage === null) streamed.add(event.data);
          // The gateway always asks the provider for usage; the client sees the
          // usage-only chunk only when it asked for it.
          if (event.usageOnly && !envelope.clientWantsUsage) continue;
          frames.push(sseFrame(envelope.clientWantsUsage ? event.data : withoutNullUsage(event.data), event.event));
        }
        frames.flush();
      } catch {
        frames.flush();
        const cancelled = options.signal.aborted;
        writer.error({
          status: cancelled ? 499 : 502,
          body: {
            error: {
              message: cancelled
                ? 'The client disconnected; the stream was stopped.'
                : `The provider's stream for deployment ${deployment.id} broke off before it finished.`,
              type: 'api_error',
              param: null,
              code: cancelled ? 'client_closed_request' : 'upstream_stream_interrupted',
            },
          },
          definite: false,
          retryable: false,
          providerCalled: true,
          deploymentId: deployment.id,
          attempt: envelope.attempt,
          retryAfterSeconds: null,
          headers: {},
        });
        const billed = usageOf();
        return { status: response.status, outcome: cancelled ? 'cancelled' : 'provider_error', usage: billed, providerCalled: true, cost: callCost(deployment, billed)?.usd ?? null };
      }
      const billed = usageOf();
      const cost = callCost(deployment, billed)?.usd ?? null;
      writer.end({ usage, latencyMs: elapsed(), cost });
      return { status: response.status, outcome: 'ok', usage: billed, providerCalled: true, cost };
    }
    case 'failure': {
      const providerCalled = providerWasCalled(response);
      writer.error({
        status: response.status,
        body: response.error,
        definite: response.definite,
        retryable: response.definite && response.retryable,
        providerCalled,
        deploymentId: deployment.id,
        attempt: envelope.attempt,
        retryAfterSeconds: response.retryAfterSeconds,
        headers: envelope.admissionHeaders,
      });
      return {
        status: response.status,
        outcome: response.outcome,
        usage: null,
        providerCalled,
        cost: null,
      };
    }
  }
}

/**
 * One SSE event, framed here so that the ingress relays bytes without parsing:
 * a frame split over several bus messages (an event larger than a message)
 * rejoins on the client's socket. Every line of the data gets its own prefix.
 */
export function sseFrame(data: string, event?: string): string {
  // An event name is the provider's or the translation's (Anthropic's message_start, ...), never a client's: one line.
  const name = event === undefined ? '' : `event: ${event.replace(/[\r\n]/g, '')}\n`;
  return `${name}data: ${data.replaceAll('\n', '\ndata: ')}\n\n`;
}

/**
 * Sends the SSE frames parsed from one network read as one bus message: they
 * are flushed when the event loop next turns (setImmediate runs after the
 * parser has drained the read), so nothing waits longer than that, and a
 * provider that sends many small events costs one message per read, not one
 * per event.
 */
class FrameCoalescer {
  readonly #send: (text: string) => void;
  #pending = '';
  #scheduled: NodeJS.Immediate | null = null;

  constructor(send: (text: string) => void) {
    this.#send = send;
  }

  push(frame: string): void {
    this.#pending += frame;
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    if (this.#pending === '') return;
    const text = this.#pending;
    this.#pending = '';
    this.#send(text);
  }
}

/**
 * Whether a failed attempt reached the provider (the audit line counts calls;
 * a call that did not is never billed). A connection error after the request
 * went out (a definite: false one) may still have been served. A
 * provider_error without a provider status is the gateway's own refusal
 * before sending (misconfigured, or a request the provider's protocol cannot
 * carry): nothing was called.
 */
export function providerWasCalled(failure: FailureResponse): boolean {
  if (failure.outcome === 'connection_error') return !failure.definite;
  return failure.error.error.code !== 'deployment_misconfigured' && !(failure.outcome === 'provider_error' && failure.providerStatus === null);
}
