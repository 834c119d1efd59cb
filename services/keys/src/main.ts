import { connectBus, pingBus, RECONNECT_BUFFER_BYTES } from '@switchyard/bus';
import { loadGatewayConfig, loadServiceEnv } from '@switchyard/config';
import { busNames } from '@switchyard/contracts';
import { createDb, ensureDatabase, sql } from '@switchyard/db';
import { createServiceRuntime, runService, serveWorker, startTracing } from '@switchyard/telemetry';
import { createKeysService } from './service.js';

const env = loadServiceEnv(process.env, 4400);
const runtime = createServiceRuntime({ service: 'keys', logLevel: env.LOG_LEVEL, instanceId: env.SWITCHYARD_INSTANCE_ID });

runService(runtime.logger, async () => {
  const tracing = startTracing('keys', process.env);
  // Only for general_settings.keys_max_bytes: the records bucket is created with the same limit by whichever service comes first.
  const config = loadGatewayConfig(env.SWITCHYARD_CONFIG, process.env);
  await ensureDatabase(env.DATABASE_URL);
  const db = createDb(env.DATABASE_URL, 5, (error) => runtime.logger.warn({ err: { message: error.message } }, 'postgres connection lost: a new connection on the next query'));
  const nc = await connectBus({ url: env.NATS_URL, name: `keys-${runtime.instanceId}`, logger: runtime.logger, registry: runtime.registry, reconnectBufferBytes: RECONNECT_BUFFER_BYTES });
  const keys = createKeysService({ nc, names: busNames(env.SWITCHYARD_BUS_PREFIX), db, ...runtime, bucketMaxBytes: config.general.retention.keysMaxBytes });
  await keys.start();
  await serveWorker({
    runtime,
    host: env.HOST,
    port: env.PORT,
    graceMs: env.SHUTDOWN_GRACE_MS,
    checks: [
      { name: 'nats', check: () => pingBus(nc) },
      { name: 'postgres', check: async () => void (await sql`select 1`.execute(db)) },
    ],
    stop: async () => {
      await keys.stop();
      await nc.drain();
      await db.destroy();
      await tracing?.shutdown();
    },
  });
});
