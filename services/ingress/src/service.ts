import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { NatsConnection } from 'nats';
import { BodyStore, busState, ensureEventsStream, pingBus, ReplyInbox } from '@switchyard/bus';
import type { GatewayConfig } from '@switchyard/config';
import type { BusNames } from '@switchyard/contracts';
import type { Redis } from '@switchyard/redis';
import type { Logger, ReadinessCheck, Registry } from '@switchyard/telemetry';
import { AdaptiveRouting } from './adaptive/adaptive-routing.js';
import { CellCache } from './adaptive/cell-cache.js';
import type { FeedbackDeps } from './adaptive/feedback-route.js';
import { FeedbackTargets } from './adaptive/feedback-targets.js';
import { SessionOwners } from './adaptive/session-owners.js';
import { createTurnPublisher } from './adaptive/turn-publisher.js';
import { buildIngressApp, OPEN_AUTH_WARNING, type IngressAppDeps } from './app.js';
import { createDispatcher } from './dispatch.js';
import { createStoredResponses } from './stored-responses.js';
import { createLedgerClient } from './admin/ledger-client.js';
import { limiterHealthSource } from './health-routes.js';
import { warmTokenizers } from './estimate.js';
import { createKeysClient } from './admin/index.js';
import { KeyRecords } from './virtual-keys/key-records.js';

export interface IngressDeps {
  nc: NatsConnection;
  names: BusNames;
  config: GatewayConfig;
  logger: Logger;
  registry: Registry;
  /** Needed when the config has adaptive routers: session ownership lives in Redis. */
  redis?: Redis;
  /** Caller identity from the Authorization header (default: the master key); see IngressAppDeps. */
  authenticate?: IngressAppDeps['authenticate'];
}

export interface IngressService {
  app: FastifyInstance;
  /** Listens on host:port; returns the bound port (port 0 picks a free one). */
  start(host: string, port: number): Promise<number>;
  /** Stops accepting, finishes in-flight requests (streams included), then closes. */
  stop(): Promise<void>;
}

/**
 * Creates the cells bucket with its size limit when it is missing. Cells never
 * expire (they are the learned state), so only their size is bounded. An
 * existing bucket is not updated live: a stream update breaks the ordered
 * consumers that every ingress replica watches the bucket with; the operator
 * is told instead.
 */
export async function ensureCellsBucket(nc: NatsConnection, bucket: string, maxBytes: number, logger: Logger): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const existing = await jsm.streams.info(`KV_${bucket}`).catch(() => null);
  if (existing === null) {
    await nc.jetstream().views.kv(bucket, { history: 1, max_bytes: maxBytes });
  } else if (existing.config.max_bytes !== maxBytes) {
    logger.warn(
      { bucket, maxBytes: existing.config.max_bytes, configured: maxBytes },
      'the cells bucket keeps its size limit: general_settings.cells_max_bytes applies to a new bucket (nats kv update to change it)',
    );
  }
}

/**
 * Builds the ingress. With adaptive routers it first loads the learned cells
 * from the KV bucket, so the first request already samples the persisted state.
 */
export async function createIngress(deps: IngressDeps): Promise<IngressService> {
  let shuttingDown = false;
  warmTokenizers(deps.config.deployments);
  const inbox = new ReplyInbox(deps.nc);
  const retention = deps.config.general.retention;
  const bodies = new BodyStore(deps.nc, deps.names.bodyBucket, { maxAgeMs: retention.bodiesMaxAgeMs, maxBytes: retention.bodiesMaxBytes });
  const dispatcher = createDispatcher(deps.nc, deps.names, inbox, bodies);
  const checks: ReadinessCheck[] = [{ name: 'nats', check: () => pingBus(deps.nc) }];
  // Virtual keys need a master key (as in LiteLLM): without one the gateway is open and holds no key records.
  const keyRecords =
    deps.config.general.masterKey === null
      ? null
      : KeyRecords.watch({ nc: deps.nc, bucket: deps.names.keysBucket, maxBytes: retention.keysMaxBytes, logger: deps.logger });
  if (keyRecords) {
    checks.push({
      name: 'keys',
      check: async () => {
        if (!keyRecords.loaded) throw new Error('virtual keys not loaded yet');
      },
    });
  }
  let cells: CellCache | null = null;
  let adaptive = null;
  let feedback: FeedbackDeps | null = null;
  if (deps.config.routers.length > 0) {
    const redis = deps.redis;
    if (!redis) throw new Error('the config has adaptive routers: the ingress needs Redis (REDIS_URL) for session ownership');
    await ensureCellsBucket(deps.nc, deps.names.cellsBucket, retention.cellsMaxBytes, deps.logger);
    cells = await CellCache.open(deps.nc, deps.names.cellsBucket, deps.logger);
    const targets = new FeedbackTargets(redis, deps.names.prefix);
    const routing = new AdaptiveRouting(deps.config, cells, new SessionOwners(redis, deps.names.prefix), Math.random, targets);
    adaptive = { routing, turns: createTurnPublisher(deps.nc, deps.names, deps.logger) };
    feedback = { routing, targets, nc: deps.nc, names: deps.names, logger: deps.logger };
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
    authenticate: deps.authenticate,
    ledger: createLedgerClient(deps.nc, deps.names),
    feedback,
    deploymentHealth: limiterHealthSource(deps.nc, deps.names),
    storedResponses: createStoredResponses(deps.nc, deps.names),
    keyRecords,
    keysClient: createKeysClient(deps.nc, deps.names),
  });
  /**
   * The ingress brings the streams to the configured retention limits (services without them never set
   * byte limits). Best effort: with the bus down now, requests fail fast anyway, and the next start applies them.
   */
  const applyRetention = async (): Promise<void> => {
    if (!busState(deps.nc).connected) {
      deps.logger.warn('the bus is down at start: JetStream retention limits not applied');
      return;
    }
    await Promise.all([
      ensureEventsStream(deps.nc, deps.names, { maxAgeMs: retention.eventsMaxAgeMs, maxBytes: retention.eventsMaxBytes }),
      bodies.applyLimits(),
    ]).catch((error: unknown) => deps.logger.warn({ err: error }, 'could not apply the JetStream retention limits'));
  };
  // Counted on the raw server, so hijacked streams count until their socket closes.
  let requestsInFlight = 0;
  app.server.on('request', (_request, response: ServerResponse) => {
    requestsInFlight += 1;
    response.once('close', () => (requestsInFlight -= 1));
  });
  return {
    app,
    async start(host, port) {
      await app.listen({ host, port });
      if (deps.config.general.masterKey === null) deps.logger.warn({ auth: 'open' }, OPEN_AUTH_WARNING);
      await applyRetention();
      const address = app.server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async stop() {
      shuttingDown = true;
      // fastify.close() stops accepting and waits for in-flight requests (streams too). A kept-alive
      // connection that goes idle after the signal would hold it open until its keep-alive timeout:
      // idle connections are closed as they appear.
      // A connection that never sent a whole request is not "idle" to Node and would hold the close
      // until its headers timeout: once no request is in flight, every connection left is closed.
      const closeIdle = setInterval(() => {
        app.server.closeIdleConnections();
        if (requestsInFlight === 0) app.server.closeAllConnections();
      }, 100);
      try {
        await app.close();
      } finally {
        clearInterval(closeIdle);
      }
      await cells?.close();
      await keyRecords?.close();
    },
  };
}
