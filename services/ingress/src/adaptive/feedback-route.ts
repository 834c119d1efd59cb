import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { NatsConnection } from 'nats';
import { z } from 'zod';
import { Errors, type BusNames, type FeedbackEvent } from '@switchyard/contracts';
import type { Logger } from '@switchyard/telemetry';
import { zodToGatewayError } from '../errors.js';
import type { AdaptiveRouting } from './adaptive-routing.js';
import type { FeedbackTargets } from './feedback-targets.js';
import { GATEWAY_REQUEST_ID } from '../request-id.js';

/**
 * `POST /v1/feedback`: a client or an evaluator scores a response it got
 * through an adaptive router. The body follows Portkey's feedback API
 * (`value` -10..10, optional `weight` 0..1 and `metadata`), keyed by the
 * gateway's request id (`request_id`; Portkey's `trace_id` is accepted too).
 */
const FeedbackBody = z
  .object({
    request_id: z.string().min(1).max(200).optional(),
    trace_id: z.string().min(1).max(200).optional(),
    value: z.number().int().min(-10).max(10),
    weight: z.number().min(0).max(1).default(1),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((body) => (body.request_id ?? body.trace_id) !== undefined, { message: 'request_id is required', path: ['request_id'] });

export interface FeedbackDeps {
  routing: AdaptiveRouting;
  targets: FeedbackTargets;
  nc: NatsConnection;
  names: BusNames;
  logger: Logger;
}

export function registerFeedbackRoutes(app: FastifyInstance, deps: FeedbackDeps | null): void {
  for (const path of ['/v1/feedback', '/feedback']) {
    app.post(path, async (request) => {
      if (!deps) throw Errors.notFound('This gateway has no adaptive router: there is nothing to score.');
      const parsed = FeedbackBody.safeParse((request.body as { json?: unknown } | undefined)?.json);
      if (!parsed.success) throw zodToGatewayError(parsed.error);
      const requestId = (parsed.data.request_id ?? parsed.data.trace_id)!;
      const caller = request.callerId ?? 'anonymous';
      // Only an id the gateway issued is looked up: the id becomes part of a Redis key, and no free-form client string may.
      const target = GATEWAY_REQUEST_ID.test(requestId) ? await deps.targets.lookup(requestId) : null;
      // Someone else's request answers like an unknown one: ids of other callers are not disclosed.
      if (!target || target.callerId !== caller) {
        throw Errors.notFound(`No request routed by an adaptive router has id "${requestId}" for this key in the last 24 hours.`);
      }
      const event: FeedbackEvent = {
        eventId: `feedback-${createHash('sha256').update(`${requestId}\u0000${caller}`).digest('hex').slice(0, 32)}`,
        requestId,
        router: target.router,
        requestType: target.requestType,
        model: target.model,
        teacher: caller,
        score: parsed.data.value / 10,
        weight: deps.routing.feedbackWeight(target.router, request.callerId, target.constrained) * parsed.data.weight,
        evidenceCap: deps.routing.evidenceCap(target.router),
        at: new Date().toISOString(),
      };
      try {
        await deps.nc.jetstream().publish(deps.names.subjects.feedback, JSON.stringify(event), { msgID: event.eventId });
      } catch (error) {
        deps.logger.error({ err: error, requestId }, 'could not publish the feedback event');
        throw Errors.unavailable('The feedback could not be recorded; send it again.', 'feedback_unavailable');
      }
      return { status: 'success', message: 'Feedback recorded: it counts once per request.', feedback_ids: [event.eventId] };
    });
  }
}
