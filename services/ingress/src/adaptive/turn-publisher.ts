import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { traceHeaders } from '@switchyard/bus';
import type { BusNames, TurnEvent } from '@switchyard/contracts';
import type { ConversationTurn } from '@switchyard/routing';
import type { Context, Logger } from '@switchyard/telemetry';
import type { AdaptiveChoice } from './adaptive-routing.js';

/** Publishes one learned turn to JetStream for the learner, once the response is complete. */
export function createTurnPublisher(nc: NatsConnection, names: BusNames, logger: Logger) {
  const js = nc.jetstream();
  return {
    async publish(
      turn: { choice: AdaptiveChoice & { sessionKey: string }; conversation: ConversationTurn; requestId: string },
      status: number,
      trace: Context,
    ): Promise<void> {
      const event: TurnEvent = {
        eventId: randomUUID(),
        requestId: turn.requestId,
        router: turn.choice.router,
        sessionKey: turn.choice.sessionKey,
        requestType: turn.choice.requestType,
        model: turn.choice.model,
        owner: turn.choice.owner ?? turn.choice.model,
        ...turn.conversation,
        status,
        at: new Date().toISOString(),
        teacher: turn.choice.teaching.teacher,
        weight: turn.choice.teaching.weight,
        evidenceCap: turn.choice.teaching.evidenceCap,
      };
      try {
        await js.publish(names.subjects.turn, JSON.stringify(event), { msgID: event.eventId, headers: traceHeaders(trace) });
      } catch (error) {
        logger.error({ err: error, requestId: turn.requestId }, 'could not publish the turn event: this turn is not learned');
      }
    },
  };
}

export type TurnPublisher = ReturnType<typeof createTurnPublisher>;
