import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A provider mock's HTTP server on a free loopback port: each request's whole body is read before `handle` sees it. */
export interface MockHttpServer {
  url: string;
  port: number;
  /** Drops every connection (kept-alive ones included) and stops listening. */
  close(): Promise<void>;
}

export async function listenMock(handle: (req: IncomingMessage, res: ServerResponse, body: string) => unknown): Promise<MockHttpServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => void handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
