import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A named readiness check: resolves when the dependency answers, throws when it does not. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * `/healthz`, `/readyz` and `/metrics` for the services that have no HTTP API
 * of their own (limiter, upstream-caller, learner).
 */
export async function startOpsServer(options: {
  host: string;
  port: number;
  registry: Registry;
  checks: ReadinessCheck[];
  isShuttingDown: () => boolean;
}): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/readyz') {
      void readiness(options.checks, options.isShuttingDown()).then(({ ready, body }) => {
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
      return;
    }
    if (path === '/metrics') {
      void options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function readiness(
  checks: ReadinessCheck[],
  shuttingDown: boolean,
): Promise<{ ready: boolean; body: { status: string; checks: Record<string, string> } }> {
  const results: Record<string, string> = {};
  await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await check();
        results[name] = 'ok';
      } catch (error) {
        results[name] = error instanceof Error ? error.message : 'failed';
      }
    }),
  );
  const ready = !shuttingDown && Object.values(results).every((value) => value === 'ok');
  return { ready, body: { status: shuttingDown ? 'shutting_down' : ready ? 'ready' : 'not_ready', checks: results } };
}
