import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from 'nats';
import type { CallCompleted, CallsCompleted } from '@switchyard/contracts';
import type { Counter, Histogram, Logger } from '@switchyard/telemetry';

export interface CompletedEventsOptions {
  js: JetStreamClient;
  subject: string;
  logger: Logger;
  metrics: {
    publishFailures: Counter;
    batchSize: Histogram;
    /** Events given up on, by reason: `buffer_full` (refused by add), `publish_deadline` (JetStream never took them). */
    dropped?: Counter<'reason'>;
  };
  /** Events held (waiting, or in batches being retried) at most; beyond it `add` drops and counts. */
  maxHeldEvents?: number;
  /** A batch is published when it holds this many events... */
  maxEvents?: number;
  /** ...or this long after its first event, whichever comes first. */
  maxDelayMs?: number;
}

/** Within the events stream's 2-minute duplicate window, so a retried publish can never count twice. */
const PUBLISH_DEADLINE_MS = 100_000;
/** About 5 MB of events: minutes of a busy replica's calls while JetStream is away. */
const DEFAULT_MAX_HELD_EVENTS = 10_000;

/**
 * Publishes call-completed events to JetStream in batches (CallsCompleted).
 * Under load one upstream-caller finishes hundreds of calls a second; one
 * JetStream message per call made the event stream cost more bus work than
 * the request itself. The events are off the request path, so a few
 * milliseconds of batching cost no client any latency.
 *
 * While JetStream is away, batches are retried (up to its duplicate window)
 * and held in memory: at most `maxHeldEvents` events. An event beyond that
 * is dropped and counted (switchyard_call_events_dropped_total), never held
 * without bound and never lost silently.
 */
export class CompletedEventsPublisher {
  readonly #options: Required<CompletedEventsOptions>;
  #pending: CallCompleted[] = [];
  #timer: NodeJS.Timeout | null = null;
  readonly #publishing = new Set<Promise<void>>();
  /** Events in batches that are being published or retried. */
  #inPublish = 0;
  #droppedSinceLog = 0;

  constructor(options: CompletedEventsOptions) {
    this.#options = { maxEvents: 200, maxDelayMs: 5, maxHeldEvents: DEFAULT_MAX_HELD_EVENTS, ...options };
  }

  /** Events held in memory right now (waiting or being retried). */
  get held(): number {
    return this.#pending.length + this.#inPublish;
  }

  add(event: CallCompleted): void {
    if (this.held >= this.#options.maxHeldEvents) {
      this.#options.metrics.dropped?.inc({ reason: 'buffer_full' });
      // One line per outage, not one per event.
      if (this.#droppedSinceLog++ === 0) {
        this.#options.logger.error({ held: this.held }, 'call-completed events dropped: JetStream is not taking them and the buffer is full');
      }
      return;
    }
    this.#droppedSinceLog = 0;
    this.#pending.push(event);
    if (this.#pending.length >= this.#options.maxEvents) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), this.#options.maxDelayMs);
  }

  /** Publishes what is pending and waits until JetStream took every batch (or gave up on it). */
  async drain(): Promise<void> {
    this.#flush();
    while (this.#publishing.size > 0) await Promise.allSettled([...this.#publishing]);
  }

  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pending.length === 0) return;
    const batch: CallsCompleted = { events: this.#pending };
    this.#pending = [];
    this.#options.metrics.batchSize.observe(batch.events.length);
    this.#inPublish += batch.events.length;
    const publishing = this.#publish(batch);
    this.#publishing.add(publishing);
    void publishing.finally(() => {
      this.#publishing.delete(publishing);
      this.#inPublish -= batch.events.length;
    });
  }

  /**
   * A provider call that was made must reach the learner and the limiter's
   * settlement: retry until JetStream acks. The same msgID makes a retry of a
   * publish that did land (but whose ack was lost) a duplicate that JetStream
   * drops, within its 2-minute window, which bounds the retries.
   */
  async #publish(batch: CallsCompleted): Promise<void> {
    const { js, subject, logger, metrics } = this.#options;
    const payload = JSON.stringify(batch);
    const msgID = randomUUID();
    const deadline = Date.now() + PUBLISH_DEADLINE_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await js.publish(subject, payload, { msgID });
        return;
      } catch (error) {
        metrics.publishFailures.inc();
        const events = batch.events.length;
        if (Date.now() + retryDelayMs(attempt) > deadline) {
          logger.error({ err: error, events, attempts: attempt }, 'call-completed events lost: JetStream did not take them');
          metrics.dropped?.inc({ reason: 'publish_deadline' }, events);
          return;
        }
        if (attempt === 1) logger.warn({ err: error, events }, 'call-completed events not published yet: retrying');
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt)));
      }
    }
  }
}

function retryDelayMs(attempt: number): number {
  return Math.min(2_000, 100 * 2 ** (attempt - 1));
}
