import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './redis-server.js';

/**
 * A TCP proxy in front of a server the test does not own (the shared
 * Postgres), so a fault test can cut it as if that server went away and
 * restore it later, on the same port. `cut()` stops listening (new
 * connections are refused) and resets every open connection.
 */
export interface TcpProxy {
  readonly port: number;
  /** Connections open through the proxy right now. */
  readonly open: number;
  /** Whether the proxy accepts connections. */
  readonly up: boolean;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await freePort();
  const pairs = new Set<[Socket, Socket]>();
  let server: Server | null = null;

  const listen = async (): Promise<void> => {
    const next = createServer((client) => {
      const upstream = createConnection({ host: target.host, port: target.port });
      const pair: [Socket, Socket] = [client, upstream];
      pairs.add(pair);
      const drop = () => {
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop);
      upstream.on('error', drop);
      client.on('close', drop);
      upstream.on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    next.listen(port, '127.0.0.1');
    await once(next, 'listening');
    server = next;
  };

  await listen();

  const cut = async (): Promise<void> => {
    const current = server;
    server = null;
    if (current) {
      const closed = once(current, 'close');
      current.close();
      for (const [client, upstream] of pairs) {
        // A reset, as a crashed server's kernel would answer.
        client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
      await closed;
    }
  };

  return {
    port,
    get open() {
      return pairs.size;
    },
    get up() {
      return server !== null;
    },
    cut,
    async restore() {
      if (!server) await listen();
    },
    close: cut,
  };
}

/** `url` with its host and port replaced by the proxy's. */
export function viaProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(proxy.port);
  return parsed.toString();
}
