import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import type { z } from 'zod';
import { consumeDurable, decodeJson } from '@switchyard/bus';
import type { BusNames } from '@switchyard/contracts';
import { SpanKind, SpanStatusCode, switchyardTracer, trace, type Context, type Counter, type Histogram, type Link, type Logger } from '@switchyard/telemetry';
import { Batcher } from './batcher.js';

/** Redelivery delay after a failed flush (Postgres down): JetStream keeps the events meanwhile. */
const RETRY_DELAY_MS = 2_000;

export interface BatchSettings {
  maxItems: number;
  maxDelayMs: number;
}

/** What applying a batch did; `afterAck` runs once its messages are acked (best-effort work). */
export interface BatchOutcome {
  applied: number;
  afterAck?: () => Promise<void>;
}

/** One event of a message and the trace of the request it came from. */
export interface TracedEvent<T> {
  event: T;
  trace: Context;
}

export interface BatchedConsumerOptions<M, T> {
  nc: NatsConnection;
  names: BusNames;
  logger: Logger;
  durable: string;
  filterSubject: string;
  /** Every message is parsed with it; one that does not parse is terminated (never redelivered). */
  schema: z.ZodType<M>;
  /** The events a parsed message carries (a message may carry several). */
  unpack(message: M, msg: JsMsg): Array<TracedEvent<T>>;
  /** What the events are, for logs and the batch span: "turn", "call-completed". */
  kind: string;
  batch: BatchSettings;
  ackWaitMs?: number | undefined;
  maxAckPending?: number | undefined;
  metrics: { events: Counter<'outcome'>; batchSize: Histogram };
  /** Applies the parsed events in one transaction; throws to have them all redelivered. */
  apply(events: T[]): Promise<BatchOutcome>;
}

export interface BatchedConsumer {
  start(): Promise<void>;
  /** Stops pulling, then flushes what was pulled and waits for it. */
  stop(): Promise<void>;
}

/**
 * A durable JetStream consumer whose messages are applied in batches: each
 * message is acked only after its batch committed, so a crash before the
 * commit means redelivery (which the event-id table makes harmless), and a
 * failed flush naks the batch for a delayed retry.
 */
export function createBatchedConsumer<M, T>(options: BatchedConsumerOptions<M, T>): BatchedConsumer {
  const { logger, metrics, kind } = options;
  const tracer = switchyardTracer();
  let messages: ConsumerMessages | null = null;
  let loop: Promise<void> | null = null;

  const flush = async (batch: JsMsg[]): Promise<void> => {
    const parsed: Array<TracedEvent<T>> = [];
    const valid: JsMsg[] = [];
    for (const msg of batch) {
      const message = options.schema.safeParse(decodeJson(msg.data));
      if (message.success) {
        parsed.push(...options.unpack(message.data, msg));
        valid.push(msg);
      } else {
        metrics.events.inc({ outcome: 'malformed' });
        logger.error({ subject: msg.subject, seq: msg.seq }, `malformed ${kind} event: terminated`);
        msg.term();
      }
    }
    if (valid.length === 0) return;
    // One span per batch, linked to the trace of every request whose event it applied.
    const span = tracer.startSpan(`learner apply ${kind} batch`, {
      kind: SpanKind.CONSUMER,
      attributes: { 'switchyard.batch_size': parsed.length },
      links: parsed.map(({ trace: context }) => ({ context: trace.getSpanContext(context) })).filter(hasContext),
    });
    let outcome: BatchOutcome;
    try {
      outcome = await options.apply(parsed.map(({ event }) => event));
    } catch (error) {
      logger.error({ err: error, events: parsed.length }, `${kind} flush failed: events will be redelivered`);
      for (const msg of valid) msg.nak(RETRY_DELAY_MS);
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'flush failed' });
      span.end();
      return;
    }
    for (const msg of valid) msg.ack();
    metrics.batchSize.observe(parsed.length);
    metrics.events.inc({ outcome: 'applied' }, outcome.applied);
    metrics.events.inc({ outcome: 'duplicate' }, parsed.length - outcome.applied);
    try {
      await outcome.afterAck?.();
    } finally {
      span.end();
    }
  };

  const batcher = new Batcher<JsMsg>({
    ...options.batch,
    // Only `afterAck` can throw here, and it must not break the chain of later flushes.
    flush: (batch) => flush(batch).catch((error: unknown) => logger.error({ err: error }, `${kind} post-commit step failed`)),
  });

  return {
    async start() {
      messages = await consumeDurable(options.nc, options.names, {
        durable: options.durable,
        filterSubject: options.filterSubject,
        ackWaitMs: options.ackWaitMs,
        maxAckPending: options.maxAckPending,
      });
      const iterator = messages;
      loop = (async () => {
        for await (const msg of iterator) batcher.push(msg);
      })();
      logger.info({ stream: options.names.eventsStream, durable: options.durable }, `learner consuming ${kind} events`);
    },
    async stop() {
      await messages?.close();
      await loop;
      await batcher.drain();
    },
  };
}

function hasContext(link: { context: Link['context'] | undefined }): link is Link {
  return link.context !== undefined;
}
