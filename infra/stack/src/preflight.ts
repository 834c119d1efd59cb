import { existsSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { StackError } from './errors.js';
import type { ReplicaSpec } from './plan.js';
import { entryPath } from './services.js';
import type { ServiceName } from './services.js';

/** Refuses to start when a service has not been compiled. */
export function checkBuilt(root: string, services: Iterable<ServiceName>): void {
  const missing = [...new Set(services)].map(entryPath).filter((path) => !existsSync(join(root, path)));
  if (missing.length > 0) {
    throw new StackError(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing in ${root}: run pnpm build first`);
  }
}

export function checkConfigFile(path: string): void {
  if (!existsSync(path)) throw new StackError(`config file ${path} does not exist`);
  if (!statSync(path).isFile()) throw new StackError(`config file ${path} is not a file`);
}

/**
 * Refuses to start when a replica's port is taken: otherwise the readiness
 * poll could be answered by whatever holds the port (an older stack) while
 * the new replica fails to listen.
 */
export async function checkPortsFree(replicas: readonly ReplicaSpec[], host: string): Promise<void> {
  const taken: string[] = [];
  await Promise.all(
    replicas.map(async (replica) => {
      const problem = await tryListen(replica.port, host);
      if (problem !== null) taken.push(`${replica.port} (${replica.name}: ${problem})`);
    }),
  );
  if (taken.length > 0) {
    taken.sort();
    throw new StackError(
      `cannot use port${taken.length === 1 ? '' : 's'} ${taken.join(', ')}: ` +
        'is another stack running? Stop it or choose another base port with --port',
    );
  }
}

function tryListen(port: number, host: string): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE' ? 'in use' : (error.code ?? error.message)));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(null)));
  });
}
