import { request, type IncomingMessage } from 'node:http';

/**
 * A client that sends one request on a connection of its own and can hang
 * up at any moment, as a browser tab or a killed process does: `leave()`
 * destroys its socket. (fetch's pool may open a spare connection when a
 * request is aborted, which would outlive the test and hold a server's close.)
 */
export interface LeavingClient {
  /** Resolves with the response once its headers arrived. */
  response(): Promise<IncomingMessage>;
  /** Resolves with the first bytes of the body. */
  firstBytes(): Promise<Buffer>;
  leave(): void;
}

export function sendLeaving(url: string, path: string, body: unknown, headers: Record<string, string> = {}): LeavingClient {
  const payload = Buffer.from(JSON.stringify(body));
  const req = request(`${url}${path}`, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers },
  });
  // The hang-up itself makes the request fail; that is the point.
  req.on('error', () => undefined);
  const response = new Promise<IncomingMessage>((resolve) => req.once('response', resolve));
  req.end(payload);
  return {
    response: () => response,
    firstBytes: async () => {
      const res = await response;
      return new Promise<Buffer>((resolve, reject) => {
        res.once('data', (chunk: Buffer) => resolve(chunk));
        res.once('error', reject);
      });
    },
    leave: () => req.destroy(),
  };
}
