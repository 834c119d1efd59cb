import { connectBus } from '@switchyard/bus';
import { parseGatewayConfig, type GatewayConfig } from '@switchyard/config';
import { busNames, type BusNames } from '@switchyard/contracts';
import { createDb } from '@switchyard/db';
import { createIngress } from '@switchyard/ingress';
import { createKeysService } from '@switchyard/keys';
import { createLearner } from '@switchyard/learner';
import { createLedger } from '@switchyard/ledger';
import { createLimiter } from '@switchyard/limiter';
import { createRedisClient } from '@switchyard/redis';
import { createUpstreamCaller } from '@switchyard/upstream-caller';
import { createLogger, createMetricsRegistry, type Logger, type Registry } from '@switchyard/telemetry';
import type { NatsConnection } from 'nats';
import { createTestDatabase, uniquePrefix } from './isolation.js';
import type { TestServers } from './servers.js';

export type ServiceName = 'ingress' | 'limiter' | 'upstream-caller' | 'learner' | 'keys' | 'ledger';

export interface Replica {
  service: ServiceName;
  index: number;
  nc: NatsConnection;
  registry: Registry;
  stop(): Promise<void>;
}

export interface InProcessStack {
  names: BusNames;
  config: GatewayConfig;
  ingressUrls: string[];
  replicas: Replica[];
  databaseUrl: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  servers: TestServers;
  /** YAML text (LiteLLM format) or a parsed config. */
  config: string | GatewayConfig;
  env?: Record<string, string | undefined>;
  scale?: Partial<Record<ServiceName, number>>;
  logger?: Logger;
  /** A Redis of the test's own (fault tests), instead of the shared one. */
  redisUrl?: string;
  /** Shorter limiter windows for tests that watch a window slide. */
  limiterWindow?: { windowMs: number; bucketMs: number };
  /** The ingress's caller identity from the Authorization header (default: the master key check). */
  authenticate?: (authorization: string | undefined, apiKey?: string | string[] | undefined) => string | null;
  /** Start on an earlier stack's bus and database (a restart): they outlive this stack. */
  reuse?: { names: BusNames; databaseUrl: string };
}

/**
 * JetStream reserves a stream's max_bytes out of the server's storage when it
 * is created: with the production defaults (1 GiB a stream) the suite's many
 * stacks on the shared NATS would run out of it. A test that sets byte limits
 * itself keeps them.
 */
function withTestRetention(config: GatewayConfig, yaml: string): GatewayConfig {
  if (/_max_bytes\s*:/.test(yaml)) return config;
  const mib = 1024 * 1024;
  config.general.retention = { ...config.general.retention, eventsMaxBytes: 64 * mib, bodiesMaxBytes: 64 * mib, cellsMaxBytes: 8 * mib, keysMaxBytes: 8 * mib };
  return config;
}

/**
 * Every service of the request path in this process, each replica with its
 * own NATS connection (as separate processes would have), on a bus prefix and
 * database of its own.
 */
export async function startInProcessStack(options: StackOptions): Promise<InProcessStack> {
  const config =
    typeof options.config === 'string'
      ? withTestRetention(parseGatewayConfig(options.config, { source: '<test>', env: options.env ?? {} }), options.config)
      : options.config;
  const names = options.reuse?.names ?? busNames(uniquePrefix());
  const logger = options.logger ?? createLogger({ service: 'test', level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent' });
  const database = options.reuse
    ? { url: options.reuse.databaseUrl, drop: async () => undefined }
    : await createTestDatabase(options.servers.postgresUrl);
  // The keys service runs where virtual keys can: with a master key; the ledger only where a test asks for it.
  const scale = { ingress: 1, limiter: 1, 'upstream-caller': 1, learner: 1, keys: config.general.masterKey ? 1 : 0, ledger: 0, ...options.scale };
  const replicas: Replica[] = [];
  const ingressUrls: string[] = [];

  const start = async (service: ServiceName, index: number) => {
    const child = logger.child({ service, replica: index });
    const registry = createMetricsRegistry(service, `${service}-${index}`);
    const nc = await connectBus({ url: options.servers.natsUrl, name: `${names.prefix}-${service}-${index}`, logger: child, registry });
    const deps = { nc, names, config, logger: child, registry };
    let stopService: () => Promise<void>;
    if (service === 'ingress') {
      const redis = config.routers.length > 0 ? createRedisClient(options.redisUrl ?? options.servers.redisUrl, child) : undefined;
      const ingress = await createIngress({ ...deps, ...(redis ? { redis } : {}), ...(options.authenticate ? { authenticate: options.authenticate } : {}) });
      const port = await ingress.start('127.0.0.1', 0);
      ingressUrls[index] = `http://127.0.0.1:${port}`;
      stopService = async () => {
        await ingress.stop();
        redis?.disconnect();
      };
    } else if (service === 'limiter') {
      const redis = createRedisClient(options.redisUrl ?? options.servers.redisUrl, child);
      const limiter = createLimiter({ ...deps, redis, ...(options.limiterWindow ? { window: options.limiterWindow } : {}) });
      await limiter.start();
      stopService = async () => {
        await limiter.stop();
        redis.disconnect();
      };
    } else if (service === 'upstream-caller') {
      const caller = createUpstreamCaller(deps);
      await caller.start();
      stopService = () => caller.stop();
    } else if (service === 'keys') {
      const db = createDb(database.url, 4);
      const keys = createKeysService({ nc, names, db, logger: child, registry, bucketMaxBytes: config.general.retention.keysMaxBytes });
      await keys.start();
      stopService = async () => {
        await keys.stop();
        await db.destroy();
      };
    } else if (service === 'ledger') {
      const db = createDb(database.url, 4);
      const ledger = createLedger({ nc, names, db, logger: child, registry });
      await ledger.start();
      stopService = async () => {
        await ledger.stop();
        await db.destroy();
      };
    } else {
      const db = createDb(database.url, 4);
      const learner = createLearner({ nc, names, db, logger: child, registry, batch: { maxItems: 100, maxDelayMs: 50 } });
      await learner.start();
      stopService = async () => {
        await learner.stop();
        await db.destroy();
      };
    }
    replicas.push({
      service,
      index,
      nc,
      registry,
      stop: async () => {
        await stopService();
        await nc.drain();
      },
    });
  };

  // Consumers first, so the first request never races a missing responder.
  for (const service of ['ledger', 'learner', 'keys', 'upstream-caller', 'limiter', 'ingress'] as const) {
    for (let index = 0; index < scale[service]; index++) await start(service, index);
  }

  return {
    names,
    config,
    ingressUrls,
    replicas,
    databaseUrl: database.url,
    async stop() {
      for (const service of ['ingress', 'limiter', 'upstream-caller', 'keys', 'learner', 'ledger'] as const) {
        await Promise.all(replicas.filter((replica) => replica.service === service).map((replica) => replica.stop()));
      }
      await database.drop();
    },
  };
}
