import { connectBus, pingBus, RECONNECT_BUFFER_BYTES } from '@switchyard/bus';
import { loadGatewayConfig, loadServiceEnv } from '@switchyard/config';
import { busNames } from '@switchyard/contracts';
import { createServiceRuntime, runService, serveWorker, startTracing } from '@switchyard/telemetry';
import { createUpstreamCaller } from './service.js';

const env = loadServiceEnv(process.env, 4200);
const runtime = createServiceRuntime({ service: 'upstream-caller', logLevel: env.LOG_LEVEL, instanceId: env.SWITCHYARD_INSTANCE_ID });

runService(runtime.logger, async () => {
  const tracing = startTracing('upstream-caller', process.env);
  const config = loadGatewayConfig(env.SWITCHYARD_CONFIG, process.env);
  const nc = await connectBus({ url: env.NATS_URL, name: `upstream-caller-${runtime.instanceId}`, logger: runtime.logger, registry: runtime.registry, reconnectBufferBytes: RECONNECT_BUFFER_BYTES });
  const caller = createUpstreamCaller({ nc, names: busNames(env.SWITCHYARD_BUS_PREFIX), config, ...runtime });
  await caller.start();
  await serveWorker({
    runtime,
    host: env.HOST,
    port: env.PORT,
    graceMs: env.SHUTDOWN_GRACE_MS,
    checks: [{ name: 'nats', check: () => pingBus(nc) }],
    stop: async () => {
      await caller.stop();
      await nc.drain();
      await tracing?.shutdown();
    },
  });
});
