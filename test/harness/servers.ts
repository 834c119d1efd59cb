import { Socket } from 'node:net';

/** Where the real NATS, Redis and Postgres of a test run are. */
export interface TestServers {
  natsUrl: string;
  redisUrl: string;
  /** A Postgres URL with admin rights (it creates one database per test file). */
  postgresUrl: string;
}

interface Candidate {
  key: keyof TestServers;
  env: string;
  local: string;
  image: string;
  port: number;
}

const CANDIDATES: Candidate[] = [
  { key: 'natsUrl', env: 'NATS_URL', local: 'nats://127.0.0.1:4222', image: 'nats:2.10', port: 4222 },
  { key: 'redisUrl', env: 'REDIS_URL', local: 'redis://127.0.0.1:6379', image: 'redis:7', port: 6379 },
  { key: 'postgresUrl', env: 'DATABASE_URL', local: 'postgres://postgres@127.0.0.1:5432/postgres', image: 'postgres:16', port: 5432 },
];

/**
 * Takes each server from the environment when set, else from its standard
 * local port when something answers there (this is how CI runs), else starts
 * it with testcontainers. Returns the URLs and a function that stops what it
 * started.
 */
export async function resolveTestServers(env: Record<string, string | undefined>): Promise<{ servers: TestServers; stop: () => Promise<void> }> {
  const servers: Partial<TestServers> = {};
  const stops: Array<() => Promise<void>> = [];
  for (const candidate of CANDIDATES) {
    const fromEnv = env[candidate.env];
    if (fromEnv) {
      servers[candidate.key] = fromEnv;
    } else if (await answers('127.0.0.1', candidate.port)) {
      servers[candidate.key] = candidate.local;
    } else {
      const started = await startContainer(candidate);
      servers[candidate.key] = started.url;
      stops.push(started.stop);
    }
  }
  return { servers: servers as TestServers, stop: async () => void (await Promise.all(stops.map((stop) => stop()))) };
}

export function answers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}

async function startContainer(candidate: Candidate): Promise<{ url: string; stop: () => Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  let container = new GenericContainer(candidate.image).withExposedPorts(candidate.port);
  if (candidate.key === 'natsUrl') container = container.withCommand(['-js']).withWaitStrategy(Wait.forLogMessage(/Server is ready/));
  if (candidate.key === 'postgresUrl') {
    container = container
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2));
  }
  const started = await container.start();
  const host = started.getHost();
  const port = started.getMappedPort(candidate.port);
  const url =
    candidate.key === 'natsUrl'
      ? `nats://${host}:${port}`
      : candidate.key === 'redisUrl'
        ? `redis://${host}:${port}`
        : `postgres://postgres@${host}:${port}/postgres`;
  return { url, stop: async () => void (await started.stop()) };
}
