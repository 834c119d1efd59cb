/**
 * Open-loop mixed load at a fixed rate, for outage and soak runs: requests
 * start on a clock whatever the answers (a client population does not wait
 * for the gateway), each bounded by its own timeout, with at most
 * `maxInFlight` open (beyond that a tick is counted as skipped, never
 * queued). The mix: plain chat, streams, adaptive-router turns (which make
 * the learner write), clients that hang up mid-stream, bad requests (400)
 * and a deployment whose provider fails (502).
 */

export type RequestKind = 'chat' | 'stream' | 'router' | 'hangup' | 'bad' | 'upstream_error';

export const MIXED: readonly RequestKind[] = ['chat', 'stream', 'router', 'chat', 'hangup', 'stream', 'router', 'bad', 'chat', 'upstream_error'];

export interface SteadyLoadOptions {
  /** Ingress base URLs (without /v1), used in turn. */
  urls: readonly string[];
  perSecond: number;
  timeoutMs: number;
  kinds?: readonly RequestKind[];
  maxInFlight?: number;
  /** Models: `chat` (healthy group), `broken` (provider answers 500), `smart` (adaptive router). */
  models?: { chat: string; broken: string; router: string };
}

export interface LoadSummary {
  sent: number;
  skipped: number;
  /** `<kind> <status or error code>` -> count. */
  results: Record<string, number>;
}

const DEFAULT_MODELS = { chat: 'chat', broken: 'broken', router: 'smart' };

export class SteadyLoad {
  readonly #options: Required<SteadyLoadOptions>;
  readonly #results = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  #sent = 0;
  #skipped = 0;
  #startedAt = 0;

  constructor(options: SteadyLoadOptions) {
    this.#options = { kinds: MIXED, maxInFlight: 200, models: DEFAULT_MODELS, ...options };
  }

  start(): void {
    this.#startedAt = Date.now();
    // A clock, not a chain: ticks missed while the event loop was busy are caught up at the next tick.
    this.#timer = setInterval(() => this.#tick(), Math.max(5, Math.floor(1000 / this.#options.perSecond)));
  }

  /** Stops sending, waits for what is in flight, and sums up. */
  async stop(): Promise<LoadSummary> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await Promise.all([...this.#inFlight]);
    return this.summary();
  }

  summary(): LoadSummary {
    return { sent: this.#sent, skipped: this.#skipped, results: Object.fromEntries([...this.#results].sort()) };
  }

  /** Requests of `kind` answered 2xx so far. */
  ok(kind?: RequestKind): number {
    let total = 0;
    for (const [key, n] of this.#results) {
      const [k, status] = key.split(' ');
      if ((kind === undefined || k === kind) && status !== undefined && /^2\d\d$/.test(status)) total += n;
    }
    return total;
  }

  /** Resolves once `n` requests have been answered 2xx (bounded). */
  async until(n: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.ok() < n) {
      if (Date.now() > deadline) throw new Error(`load: fewer than ${n} requests served after ${timeoutMs} ms: ${JSON.stringify(this.summary())}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  #tick(): void {
    const due = Math.floor(((Date.now() - this.#startedAt) * this.#options.perSecond) / 1000);
    while (this.#sent + this.#skipped < due) {
      if (this.#inFlight.size >= this.#options.maxInFlight) {
        this.#skipped++;
        continue;
      }
      const index = this.#sent++;
      const kind = this.#options.kinds[index % this.#options.kinds.length]!;
      const url = this.#options.urls[index % this.#options.urls.length]!;
      const request = this.#send(kind, url, index).then((result) => {
        const key = `${kind} ${result}`;
        this.#results.set(key, (this.#results.get(key) ?? 0) + 1);
      });
      this.#inFlight.add(request);
      void request.finally(() => this.#inFlight.delete(request));
    }
  }

  async #send(kind: RequestKind, url: string, index: number): Promise<string> {
    const { models } = this.#options;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timeout')), this.#options.timeoutMs);
    const turn = index % 7;
    const bodies: Record<RequestKind, unknown> = {
      chat: { model: models.chat, messages: [{ role: 'user', content: `steady ${index}` }], max_tokens: 16 },
      stream: { model: models.chat, stream: true, messages: [{ role: 'user', content: `steady stream ${index}` }], max_tokens: 16 },
      // A later turn of one of a few conversations: the learner derives signals from the history.
      router: {
        model: models.router,
        messages: [
          { role: 'user', content: `Write a python function that sorts list number ${turn}` },
          { role: 'assistant', content: 'def sort(xs): return sorted(xs)' },
          { role: 'user', content: index % 2 === 0 ? 'thanks, that works perfectly' : 'that is wrong, it still fails' },
        ],
        max_tokens: 16,
      },
      hangup: { model: models.chat, stream: true, messages: [{ role: 'user', content: `steady hangup ${index}` }], max_tokens: 16 },
      bad: { model: models.chat, messages: 'not a list' },
      upstream_error: { model: models.broken, messages: [{ role: 'user', content: `steady broken ${index}` }] },
    };
    try {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(bodies[kind]),
        signal: controller.signal,
      });
      if (kind === 'hangup') {
        // The client goes away once the head arrived: the gateway must let go of the stream.
        controller.abort(new Error('hang-up'));
        await response.body?.cancel().catch(() => undefined);
        return String(response.status);
      }
      await response.arrayBuffer();
      return String(response.status);
    } catch (error) {
      return controller.signal.aborted && kind !== 'hangup' ? 'timeout' : errorCode(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

function errorCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    current = cause;
  }
  return 'fetch_error';
}
