/*
 * What the gateway put on the wire, captured beside the official SDK: a fetch
 * to hand the SDK that keeps a copy of every response body, so tests validate
 * the bytes the client received as well as the objects the SDK made of them.
 */

export interface Captured {
  url: string;
  status: number;
  headers: Headers;
  /** The whole body as text, once the SDK (or the stream) has read it. */
  text: Promise<string>;
}

export function capturingFetch(): { fetch: typeof fetch; responses: Captured[] } {
  const responses: Captured[] = [];
  const capture: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const copy = response.clone();
    responses.push({ url: String(input), status: response.status, headers: response.headers, text: copy.text() });
    return response;
  };
  return { fetch: capture, responses };
}

/** The JSON payloads of an SSE body's `data:` events, `[DONE]` left out; throws on a malformed event. */
export function sseData(text: string): unknown[] {
  const events = text.split('\n\n');
  if (events.at(-1) !== '') throw new Error('the stream did not end with a blank line');
  return events
    .slice(0, -1)
    .map((event) => {
      const lines = event.split('\n');
      if (!lines.every((line) => line.startsWith('data: '))) throw new Error(`not a data event: ${event}`);
      return lines.map((line) => line.slice('data: '.length)).join('\n');
    })
    .filter((data) => data !== '[DONE]')
    .map((data) => JSON.parse(data) as unknown);
}
