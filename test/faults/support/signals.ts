import { connect, type NatsConnection } from 'nats';
import pg from 'pg';
import { busNames, CallsCompleted } from '@switchyard/contracts';
import { eventually } from '../../harness/index.js';

/**
 * What the learning path holds, read straight from the stores: the
 * call-completed events in JetStream and the totals the learner wrote to
 * Postgres. A fault test compares the two (and both with the provider's
 * count) to tell signals lost or applied twice.
 */

export interface EventTotals {
  events: number;
  promptTokens: number;
  completionTokens: number;
  /** Events per client request id (the load's marker; more than one per attempt would be a double). */
  byRequest: Map<string, number>;
}

export interface UsageTotals {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  processedEvents: number;
}

export class SignalProbe {
  readonly #nc: NatsConnection;
  readonly #db: pg.Pool;
  readonly #names: ReturnType<typeof busNames>;

  private constructor(nc: NatsConnection, db: pg.Pool, prefix: string) {
    this.#nc = nc;
    this.#db = db;
    this.#names = busNames(prefix);
  }

  /** `databaseUrl` is read directly, never through a proxy the test cuts. */
  static async open(natsUrl: string, databaseUrl: string, prefix: string): Promise<SignalProbe> {
    const nc = await connect({ servers: natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    db.on('error', () => undefined);
    return new SignalProbe(nc, db, prefix);
  }

  /** Every call-completed event in the stream (each message a batch of them), summed. */
  async events(): Promise<EventTotals> {
    const jsm = await this.#nc.jetstreamManager();
    const info = await jsm.streams.info(this.#names.eventsStream);
    const totals: EventTotals = { events: 0, promptTokens: 0, completionTokens: 0, byRequest: new Map() };
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await jsm.streams.getMessage(this.#names.eventsStream, { seq });
      if (message.subject !== this.#names.subjects.callCompleted) continue;
      for (const event of CallsCompleted.parse(message.json()).events) {
        totals.events += 1;
        totals.promptTokens += event.usage?.prompt_tokens ?? 0;
        totals.completionTokens += event.usage?.completion_tokens ?? 0;
        // By the client's id: the load's marker (the server id is the gateway's own).
        const id = event.clientRequestId ?? event.requestId;
        totals.byRequest.set(id, (totals.byRequest.get(id) ?? 0) + 1);
      }
    }
    return totals;
  }

  /** Events the learner's durable consumer has not acked yet (pending plus delivered-unacked). */
  async unacked(): Promise<number> {
    const jsm = await this.#nc.jetstreamManager();
    const info = await jsm.consumers.info(this.#names.eventsStream, this.#names.consumers.learnerCalls);
    return info.num_pending + info.num_ack_pending;
  }

  /** Reservation settlements the limiter has not acked yet. */
  async unsettled(): Promise<number> {
    const jsm = await this.#nc.jetstreamManager();
    const info = await jsm.consumers.info(this.#names.eventsStream, this.#names.consumers.limiterSettlements);
    return info.num_pending + info.num_ack_pending;
  }

  async usage(): Promise<UsageTotals> {
    const usage = await this.#db.query<{ calls: string | null; prompt: string | null; completion: string | null }>(
      'select sum(calls) as calls, sum(prompt_tokens) as prompt, sum(completion_tokens) as completion from deployment_usage',
    );
    const processed = await this.#db.query<{ count: string }>('select count(*) as count from processed_events');
    const row = usage.rows[0]!;
    return {
      calls: Number(row.calls ?? 0),
      promptTokens: Number(row.prompt ?? 0),
      completionTokens: Number(row.completion ?? 0),
      processedEvents: Number(processed.rows[0]!.count),
    };
  }

  /**
   * Waits until the learner acked every event in the stream and the stream
   * holds at least `atLeastEvents`, then returns both sides.
   */
  async settled(atLeastEvents: number, timeoutMs = 45_000): Promise<{ events: EventTotals; usage: UsageTotals }> {
    return eventually(
      async () => {
        try {
          const events = await this.events();
          if (events.events < atLeastEvents || (await this.unacked()) > 0) return undefined;
          return { events, usage: await this.usage() };
        } catch {
          return undefined; // the stream or the tables are not there yet
        }
      },
      timeoutMs,
      `the learner to apply at least ${atLeastEvents} call-completed events`,
    );
  }

  async close(): Promise<void> {
    await this.#nc.close();
    await this.#db.end();
  }
}

/** |events - applied| plus any event id applied twice: what the row reports as signals lost or doubled. */
export function lostOrDoubled(events: EventTotals, usage: UsageTotals): number {
  return Math.abs(events.events - usage.calls) + Math.abs(usage.processedEvents - usage.calls);
}
