import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
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
  return stop;
}
