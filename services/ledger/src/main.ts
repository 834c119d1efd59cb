import { connectBus, pingBus, RECONNECT_BUFFER_BYTES } from '@switchyard/bus';
import { loadServiceEnv } from '@switchyard/config';
import { busNames } from '@switchyard/contracts';
import { createDb, ensureDatabase, sql } from '@switchyard/db';
import { createServiceRuntime, runService, serveWorker, startTracing } from '@switchyard/telemetry';
import { loadLedgerEnv } from './env.js';
import { createLedger } from './service.js';

const env = loadServiceEnv(process.env, 4500);
const ledgerEnv = loadLedgerEnv(process.env);
const runtime = createServiceRuntime({ service: 'ledger', logLevel: env.LOG_LEVEL, instanceId: env.SWITCHYARD_INSTANCE_ID });

runService(runtime.logger, async () => {
  const tracing = startTracing('ledger', process.env);
  await ensureDatabase(env.DATABASE_URL);
  const db = createDb(env.DATABASE_URL, 4, (error) => runtime.logger.warn({ err: { message: error.message } }, 'postgres connection lost: the batch is retried on a new connection'));
  const nc = await connectBus({ url: env.NATS_URL, name: `ledger-${runtime.instanceId}`, logger: runtime.logger, registry: runtime.registry, reconnectBufferBytes: RECONNECT_BUFFER_BYTES });
  const ledger = createLedger({
    nc,
    names: busNames(env.SWITCHYARD_BUS_PREFIX),
    db,
    ...runtime,
    maxMessages: ledgerEnv.LEDGER_BATCH_MAX_MESSAGES,
    ackWaitMs: ledgerEnv.LEDGER_ACK_WAIT_MS,
  });
  await ledger.start();
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
      await ledger.stop();
      await nc.drain();
      await db.destroy();
      await tracing?.shutdown();
    },
  });
});
