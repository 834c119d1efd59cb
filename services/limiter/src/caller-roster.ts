import { ErrorCode, type NatsConnection, type NatsError, type Subscription } from 'nats';
import { decodeJson } from '@switchyard/bus';
import { CallerPresence, type BusNames } from '@switchyard/contracts';
import type { Gauge, Logger } from '@switchyard/telemetry';

/** A caller silent for this many of its beat intervals is taken for gone. */
const MISSED_BEATS = 3;
const PROBE_TIMEOUT_MS = 1_000;

export interface CallerRosterOptions {
  nc: NatsConnection;
  names: BusNames;
  logger: Logger;
  /** Live upstream-callers this limiter knows of. */
  gauge: Gauge;
}

/**
 * Which upstream-callers are there to take a call, from their presence
 * beats. The limiter hands calls off with a plain publish (one bus message,
 * no acknowledgement on the request path), so this is how it still answers
 * "no upstream-caller" with a 503 at once instead of leaving the request to
 * its timeout. When it knows of none it asks (a probe request, which NATS
 * answers with "no responders" at once when nobody listens), so a limiter
 * that just started or reconnected never refuses a call a caller could take.
 */
export class CallerRoster {
  readonly #options: CallerRosterOptions;
  /** instance -> epoch ms after which it counts as gone. */
  readonly #callers = new Map<string, number>();
  #subscription: Subscription | null = null;
  #probing: Promise<void> | null = null;

  constructor(options: CallerRosterOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { nc, names } = this.#options;
    this.#subscription = nc.subscribe(names.subjects.callerPresence, {
      callback: (error, msg) => {
        if (!error) this.#heard(msg.data);
      },
    });
    await this.#probe();
  }

  stop(): void {
    this.#subscription?.unsubscribe();
  }

  /** Whether some upstream-caller can take a call now; asks the bus when none is known. */
  async available(): Promise<boolean> {
    if (this.#live()) return true;
    await this.#probe();
    return this.#live();
  }

  #live(): boolean {
    const now = Date.now();
    for (const [instance, expiresAt] of this.#callers) if (expiresAt <= now) this.#callers.delete(instance);
    this.#options.gauge.set(this.#callers.size);
    return this.#callers.size > 0;
  }

  #heard(data: Uint8Array): void {
    const beat = CallerPresence.safeParse(decodeJson(data));
    if (!beat.success) return;
    const { instance, state, intervalMs } = beat.data;
    if (state === 'leaving') this.#callers.delete(instance);
    else this.#callers.set(instance, Date.now() + MISSED_BEATS * intervalMs);
    this.#live();
  }

  /** One probe at a time: concurrent decisions that find no caller share it. */
  #probe(): Promise<void> {
    this.#probing ??= (async () => {
      const { nc, names, logger } = this.#options;
      try {
        const answer = await nc.request(names.subjects.callerProbe, undefined, { timeout: PROBE_TIMEOUT_MS });
        this.#heard(answer.data);
      } catch (error) {
        const code = (error as NatsError).code;
        if (code !== ErrorCode.NoResponders && code !== ErrorCode.Timeout) logger.warn({ err: error }, 'upstream-caller probe failed');
      } finally {
        this.#probing = null;
      }
    })();
    return this.#probing;
  }
}
