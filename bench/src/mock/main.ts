import { startMockServer } from './server.js';

/*
 * The mock provider's process: `node dist/mock/main.js [port]`. It tells its
 * parent its port over IPC and exits when the parent goes away or says so.
 */
const requested = Number(process.argv[2] ?? 0);
const { port, server } = await startMockServer(Number.isInteger(requested) ? requested : 0);
const stop = (): void => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
process.send?.({ ready: true, port });
