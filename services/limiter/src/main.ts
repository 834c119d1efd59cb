import { connectBus, pingBus, RECONNECT_BUFFER_BYTES } from '@switchyard/bus';
import { loadGatewayConfig, loadServiceEnv } from '@switchyard/config';
import { busNames } from '@switchyard/contracts';
import { createServiceRuntime, runService, serveWorker, startTracing } from '@switchyard/telemetry';
import { createRedisClient } from '@switchyard/redis';
import { createLimiter } from './service.js';

const env = loadServiceEnv(process.env, 4100);
const runtime = createServiceRuntime({ service: 'limiter', logLevel: env.LOG_LEVEL, instanceId: env.SWITCHYARD_INSTANCE_ID });

runService(runtime.logger, async () => {
  const tracing = startTracing('limiter', process.env);
  const config = loadGatewayConfig(env.SWITCHYARD_CONFIG, process.env);
  const redis = createRedisClient(config.router.redisUrl?.reveal() ?? env.REDIS_URL, runtime.logger);
  const nc = await connectBus({ url: env.NATS_URL, name: `limiter-${runtime.instanceId}`, logger: runtime.logger, registry: runtime.registry, reconnectBufferBytes: RECONNECT_BUFFER_BYTES });
  const limiter = createLimiter({ nc, names: busNames(env.SWITCHYARD_BUS_PREFIX), config, redis, ...runtime });
  await limiter.start();
  await serveWorker({
    runtime,
    host: env.HOST,
    port: env.PORT,
    graceMs: env.SHUTDOWN_GRACE_MS,
    checks: [
      { name: 'nats', check: () => pingBus(nc) },
      { name: 'redis', check: async () => void (await redis.ping()) },
    ],
    stop: async () => {
      await limiter.stop();
      await nc.drain();
      redis.disconnect();
      await tracing?.shutdown();
    },
  });
});
