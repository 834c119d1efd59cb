import { connectBus, RECONNECT_BUFFER_BYTES } from '@switchyard/bus';
import { loadGatewayConfig, loadServiceEnv } from '@switchyard/config';
import { busNames } from '@switchyard/contracts';
import { createRedisClient } from '@switchyard/redis';
import { createServiceRuntime, onShutdownSignal, runService, startTracing } from '@switchyard/telemetry';
import { createIngress } from './service.js';

const env = loadServiceEnv(process.env, 4000);
const runtime = createServiceRuntime({ service: 'ingress', logLevel: env.LOG_LEVEL, instanceId: env.SWITCHYARD_INSTANCE_ID });

runService(runtime.logger, async () => {
  const tracing = startTracing('ingress', process.env);
  const config = loadGatewayConfig(env.SWITCHYARD_CONFIG, process.env);
  for (const warning of config.warnings) runtime.logger.warn({ config: config.source }, warning);
  for (const note of config.notes) runtime.logger.info({ config: config.source }, note);
  const nc = await connectBus({ url: env.NATS_URL, name: `ingress-${runtime.instanceId}`, logger: runtime.logger, registry: runtime.registry, reconnectBufferBytes: RECONNECT_BUFFER_BYTES });
  // Redis only when adaptive routers need it (session ownership): a plain gateway does not depend on it.
  const redis = config.routers.length > 0 ? createRedisClient(config.router.redisUrl?.reveal() ?? env.REDIS_URL, runtime.logger) : undefined;
  const ingress = await createIngress({ nc, names: busNames(env.SWITCHYARD_BUS_PREFIX), config, ...runtime, ...(redis ? { redis } : {}) });
  const port = await ingress.start(env.HOST, env.PORT);
  runtime.logger.info({ port, config: config.source, models: config.groups.size }, 'ingress listening');
  onShutdownSignal(runtime.logger, env.SHUTDOWN_GRACE_MS, async () => {
    await ingress.stop();
    await nc.drain();
    redis?.disconnect();
    await tracing?.shutdown();
  });
});
