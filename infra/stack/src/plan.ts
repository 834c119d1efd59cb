import type { Scale } from './args.js';
import { StackError } from './errors.js';
import { DEFAULT_BASE_PORT, MAX_REPLICAS, PORT_OFFSETS, SERVICE_NAMES } from './services.js';
import type { ServiceName } from './services.js';

export interface ReplicaSpec {
  service: ServiceName;
  index: number;
  /** `<service>-<index>`: its SWITCHYARD_INSTANCE_ID and the prefix of its output. */
  name: string;
  port: number;
}

/**
 * Every replica to start, in service order, with its port. Services absent
 * from `scale` get one replica. Throws `StackError` for counts or a base port
 * whose ranges would not fit.
 */
export function planReplicas(options: { scale?: Scale | undefined; port?: number | undefined }): ReplicaSpec[] {
  const base = options.port ?? DEFAULT_BASE_PORT;
  if (!Number.isInteger(base) || base < 1) throw new StackError(`port ${base} is not a port number`);
  const replicas: ReplicaSpec[] = [];
  for (const service of SERVICE_NAMES) {
    const count = options.scale?.[service] ?? 1;
    if (!Number.isInteger(count) || count < 0 || count > MAX_REPLICAS) {
      throw new StackError(`${service}: ${count} is not a replica count (0-${MAX_REPLICAS})`);
    }
    for (let index = 0; index < count; index++) {
      const port = base + PORT_OFFSETS[service] + index;
      if (port > 65535) throw new StackError(`${service}-${index} would need port ${port}: choose a lower base port`);
      replicas.push({ service, index, name: `${service}-${index}`, port });
    }
  }
  if (replicas.length === 0) throw new StackError('nothing to start: every service is scaled to 0');
  return replicas;
}

/** The OpenAI base URL of an ingress replica. */
export function ingressUrl(port: number, host = '127.0.0.1'): string {
  return `http://${host}:${port}/v1`;
}

/** Where to reach a replica listening on HOST: loopback for a wildcard address, else HOST itself. */
export function connectHost(bindHost: string | undefined): string {
  if (bindHost === undefined || bindHost === '' || bindHost === '0.0.0.0' || bindHost === '::') return '127.0.0.1';
  return bindHost.includes(':') ? `[${bindHost}]` : bindHost;
}
