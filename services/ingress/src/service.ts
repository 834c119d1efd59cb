import type { FastifyInstance } from 'fastify';
import type { NatsConnection } from 'nats';
import { BodyStore, pingBus, ReplyInbox } from '@switchyard/bus';
import type { GatewayConfig } from '@switchyard/config';
import type { BusNames } from '@switchyard/contracts';
import type { Redis } from '@switchyard/redis';
import type { Logger, ReadinessCheck, Registry } from '@switchyard/telemetry';
import { AdaptiveRouting } from './adaptive/adaptive-routing.js';
import { CellCache } from './adaptive/cell-cache.js';
import { SessionOwners } from './adaptive/session-owners.js';
import { createTurnPublisher } from './adaptive/turn-publisher.js';
import { buildIngressApp } from './app.js';
import { createDispatcher } from './dispatch.js';
import { limiterHealthSource } from './health-routes.js';
import { warmTokenizers } from './estimate.js';

export interface IngressDeps {
  nc: NatsConnection;
  names: BusNames;
  config: GatewayConfig;
  logger: Logger;
  registry: Registry;
  /** Needed when the config has adaptive routers: session ownership lives in Redis. */
  redis?: Redis;
}

export interface IngressService {
  app: FastifyInstance;
  /** Listens on host:port; returns the bound port (port 0 picks a free one). */
  start(host: string, port: number): Promise<number>;
  /** Stops accepting, finishes in-flight requests (streams included), then closes. */
  stop(): Promise<void>;
}

/**
 * Builds the ingress. With adaptive routers it first loads the learned cells
 * from the KV bucket, so the first request already samples the persisted state.
 */
export async function createIngress(deps: IngressDeps): Promise<IngressService> {
  let shuttingDown = false;
  warmTokenizers(deps.config.deployments);
  const inbox = new ReplyInbox(deps.nc);
  const dispatcher = createDispatcher(deps.nc, deps.names, inbox, new BodyStore(deps.nc, deps.names.bodyBucket));
  const checks: ReadinessCheck[] = [{ name: 'nats', check: () => pingBus(deps.nc) }];
  let cells: CellCache | null = null;
  let adaptive = null;
  if (deps.config.routers.length > 0) {
    const redis = deps.redis;
    if (!redis) throw new Error('the config has adaptive routers: the ingress needs Redis (REDIS_URL) for session ownership');
    cells = await CellCache.open(deps.nc, deps.names.cellsBucket, deps.logger);
    adaptive = {
      routing: new AdaptiveRouting(deps.config, cells, new SessionOwners(redis, deps.names.prefix)),
      turns: createTurnPublisher(deps.nc, deps.names, deps.logger),
    };
    checks.push({ name: 'redis', check: async () => void (await redis.ping()) });
  }
  const app = buildIngressApp({
    config: deps.config,
    dispatcher,
    adaptive,
    logger: deps.logger,
    registry: deps.registry,
    checks,
    isShuttingDown: () => shuttingDown,
    deploymentHealth: limiterHealthSource(deps.nc, deps.names),
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
      // fastify.close() stops accepting and waits for in-flight requests (streams too). A kept-alive
      // connection that goes idle after the signal would hold it open until its keep-alive timeout:
      // idle connections are closed as they appear.
      const closeIdle = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(closeIdle);
      }
      await cells?.close();
    },
  };
}
