import { connectBus, pingBus, RECONNECT_BUFFER_BYTES } from '@switchyard/bus';
import { loadServiceEnv } from '@switchyard/config';
import { busNames } from '@switchyard/contracts';
import { createDb, ensureDatabase, sql } from '@switchyard/db';
import { createServiceRuntime, runService, serveWorker, startTracing } from '@switchyard/telemetry';
import { loadLearnerEnv } from './env.js';
import { createLearner } from './service.js';

const env = loadServiceEnv(process.env, 4300);
const learnerEnv = loadLearnerEnv(process.env);
const runtime = createServiceRuntime({ service: 'learner', logLevel: env.LOG_LEVEL, instanceId: env.SWITCHYARD_INSTANCE_ID });

runService(runtime.logger, async () => {
  const tracing = startTracing('learner', process.env);
  await ensureDatabase(env.DATABASE_URL);
  const db = createDb(env.DATABASE_URL, 10, (error) => runtime.logger.warn({ err: { message: error.message } }, 'postgres connection lost: its work is retried, a new connection on the next query'));
  const nc = await connectBus({ url: env.NATS_URL, name: `learner-${runtime.instanceId}`, logger: runtime.logger, registry: runtime.registry, reconnectBufferBytes: RECONNECT_BUFFER_BYTES });
  const learner = createLearner({
    nc,
    names: busNames(env.SWITCHYARD_BUS_PREFIX),
    db,
    ...runtime,
    batch: { maxItems: learnerEnv.LEARNER_BATCH_MAX_ITEMS, maxDelayMs: learnerEnv.LEARNER_BATCH_MAX_DELAY_MS },
    ackWaitMs: learnerEnv.LEARNER_ACK_WAIT_MS,
  });
  await learner.start();
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
      await learner.stop();
      await nc.drain();
      await db.destroy();
      await tracing?.shutdown();
    },
  });
});
