import { ErrorCode, type Msg, type NatsConnection, type NatsError, type Subscription } from 'nats';
import { envelopeHeaders, readEnvelope, ReplyWriter } from '@switchyard/bus';
import { Errors, QueueGroups, type BusNames, type CallEnvelope } from '@switchyard/contracts';
import type { GatewayConfig } from '@switchyard/config';
import { Counter, type Logger, type Registry } from '@switchyard/telemetry';

/** How long the limiter waits for an upstream-caller to take a call before it logs a lost hand-off. */
const HANDOFF_TIMEOUT_MS = 5_000;

export interface LimiterDeps {
  nc: NatsConnection;
  names: BusNames;
  config: GatewayConfig;
  logger: Logger;
  registry: Registry;
}

export interface LimiterService {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Admits routing decisions and hands them to an upstream-caller with the
 * ingress's reply inbox. The hand-off is a NATS request so that "no
 * upstream-caller is running" is known at once (no responders) and answered
 * with a 503 instead of the ingress waiting out its timeout.
 */
export function createLimiter(deps: LimiterDeps): LimiterService {
  const { nc, names, logger } = deps;
  const decisions = new Counter({
    name: 'switchyard_limiter_decisions_total',
    help: 'Routing decisions handled by the limiter, by outcome',
    labelNames: ['deployment', 'outcome'],
    registers: [deps.registry],
  });
  const inFlight = new Set<Promise<void>>();
  let subscription: Subscription | null = null;
  let loop: Promise<void> | null = null;

  async function handle(msg: Msg): Promise<void> {
    const replyTo = msg.reply;
    if (!replyTo) {
      logger.warn({ subject: msg.subject }, 'decision without a reply inbox: dropped');
      return;
    }
    let envelope: CallEnvelope;
    try {
      envelope = readEnvelope(msg);
    } catch (error) {
      logger.error({ err: error }, 'malformed routing decision');
      new ReplyWriter(nc, replyTo).fail(Errors.internal('The gateway sent a malformed routing decision.'), {
        definite: true,
        deploymentId: null,
        attempt: 1,
      });
      return;
    }
    const admitted: CallEnvelope = { ...envelope, reservation: null };
    decisions.inc({ deployment: admitted.deploymentId, outcome: 'admitted' });
    try {
      await nc.request(names.subjects.call, msg.data, {
        headers: envelopeHeaders(admitted, replyTo),
        timeout: HANDOFF_TIMEOUT_MS,
      });
    } catch (error) {
      if ((error as NatsError).code === ErrorCode.NoResponders) {
        decisions.inc({ deployment: admitted.deploymentId, outcome: 'no_upstream_caller' });
        new ReplyWriter(nc, replyTo).fail(
          Errors.unavailable('No upstream-caller is running, so the request was not sent to any provider.', 'no_upstream_caller'),
          { definite: true, deploymentId: admitted.deploymentId, attempt: admitted.attempt },
        );
        return;
      }
      // The caller may still be working on it: never answer for it, the ingress times out.
      logger.warn({ requestId: admitted.requestId, err: error }, 'upstream-caller did not acknowledge the hand-off');
    }
  }

  return {
    async start() {
      subscription = nc.subscribe(names.subjects.decision, { queue: QueueGroups.limiter });
      const sub = subscription;
      loop = (async () => {
        for await (const msg of sub) {
          const task = handle(msg).catch((error: unknown) => logger.error({ err: error }, 'decision handler failed'));
          inFlight.add(task);
          void task.finally(() => inFlight.delete(task));
        }
      })();
      logger.info({ subject: names.subjects.decision }, 'limiter consuming routing decisions');
    },
    async stop() {
      if (subscription) await subscription.drain();
      await loop;
      await Promise.allSettled([...inFlight]);
    },
  };
}
