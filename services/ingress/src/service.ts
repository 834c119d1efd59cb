import type { FastifyInstance } from 'fastify';
import type { NatsConnection } from 'nats';
import { BodyStore, pingBus, ReplyInbox } from '@switchyard/bus';
import type { GatewayConfig } from '@switchyard/config';
import type { BusNames } from '@switchyard/contracts';
import type { Logger, Registry } from '@switchyard/telemetry';
import { buildIngressApp } from './app.js';
import { createDispatcher } from './dispatch.js';
import { warmTokenizers } from './estimate.js';

export interface IngressDeps {
  nc: NatsConnection;
  names: BusNames;
  config: GatewayConfig;
  logger: Logger;
  registry: Registry;
}

export interface IngressService {
  app: FastifyInstance;
  /** Listens on host:port; returns the bound port (port 0 picks a free one). */
  start(host: string, port: number): Promise<number>;
  /** Stops accepting, finishes in-flight requests (streams included), then closes. */
  stop(): Promise<void>;
}

export function createIngress(deps: IngressDeps): IngressService {
  let shuttingDown = false;
  warmTokenizers(deps.config.deployments);
  const inbox = new ReplyInbox(deps.nc);
  const dispatcher = createDispatcher(deps.nc, deps.names, inbox, new BodyStore(deps.nc, deps.names.bodyBucket));
  const app = buildIngressApp({
    config: deps.config,
    dispatcher,
    logger: deps.logger,
    registry: deps.registry,
    checks: [{ name: 'nats', check: () => pingBus(deps.nc) }],
    isShuttingDown: () => shuttingDown,
  });
  return {
    app,
    async start(host, port) {
      await app.listen({ host, port });
      const address = app.server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async stop() {
      shuttingDown = true;
      // fastify.close() stops accepting and waits for in-flight requests; hijacked streams too.
      await app.close();
    },
  };
}
