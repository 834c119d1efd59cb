import { randomBytes } from 'node:crypto';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { TEST_RUN_ENV } from './isolation.js';
import { trackTestStreams } from './leftover-streams.js';
import { resolveTestServers, type TestServers } from './servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    servers: TestServers;
  }
}

/** Finds (or starts) NATS, Redis and Postgres once for the whole run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { servers, stop } = await resolveTestServers(process.env);
  project.provide('servers', servers);
  // Workers are forked after this, so they inherit the run's tag (see uniquePrefix).
  const run = randomBytes(2).toString('hex');
  process.env[TEST_RUN_ENV] = run;
  const removeTestStreams = await trackTestStreams(servers.natsUrl, run);
  return async () => {
    await removeTestStreams();
    await stop();
  };
}
