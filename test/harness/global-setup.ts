import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
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
  const removeTestStreams = await trackTestStreams(servers.natsUrl);
  return async () => {
    await removeTestStreams();
    await stop();
  };
}
