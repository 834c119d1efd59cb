import { loadConformance, type SchemaName } from '../../../test/conformance/openapi.js';
import type { StreamEvent } from '../src/types.js';

/** The spec's schema of each Responses stream event type. */
const EVENT_SCHEMAS: Record<string, SchemaName> = {
  'response.created': 'ResponseCreatedEvent',
  'response.in_progress': 'ResponseInProgressEvent',
  'response.output_item.added': 'ResponseOutputItemAddedEvent',
  'response.content_part.added': 'ResponseContentPartAddedEvent',
  'response.output_text.delta': 'ResponseTextDeltaEvent',
  'response.output_text.done': 'ResponseTextDoneEvent',
  'response.content_part.done': 'ResponseContentPartDoneEvent',
  'response.output_item.done': 'ResponseOutputItemDoneEvent',
  'response.function_call_arguments.delta': 'ResponseFunctionCallArgumentsDeltaEvent',
  'response.function_call_arguments.done': 'ResponseFunctionCallArgumentsDoneEvent',
  'response.completed': 'ResponseCompletedEvent',
  'response.incomplete': 'ResponseIncompleteEvent',
  'response.failed': 'ResponseFailedEvent',
  error: 'ResponseErrorEvent',
};

/** Problems of a Response object against OpenAI's spec (empty when it conforms). */
export function responseProblems(response: unknown): string[] {
  return loadConformance().problems('Response', response);
}

/** Problems of each stream event against its own schema; the SSE name must equal the payload's type. */
export function eventProblems(events: readonly StreamEvent[]): string[] {
  const spec = loadConformance();
  return events.flatMap((event, i) => {
    const payload = JSON.parse(event.data) as { type?: string };
    const schema = EVENT_SCHEMAS[payload.type ?? ''];
    if (schema === undefined) return [`event ${i}: unknown type ${payload.type}`];
    if (event.event !== payload.type) return [`event ${i}: named ${event.event}, typed ${payload.type}`];
    return spec.problems(schema, payload).map((problem) => `event ${i} (${payload.type}): ${problem}`);
  });
}
