import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack, type Stack } from '@switchyard/stack';
import { createTestDatabase, uniquePrefix, type TestServers } from '../harness/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ProcessStack {
  stack: Stack;
  output: string[];
  prefix: string;
  stop(): Promise<void>;
}

/**
 * The services as real processes (from dist, as `pnpm stack up` runs them),
 * on a bus prefix and database of their own, with their output captured.
 */
export async function startProcessStack(options: {
  servers: TestServers;
  configYaml: string;
  scale: Record<string, number>;
  env?: Record<string, string>;
}): Promise<ProcessStack> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-'));
  const configPath = join(dir, 'switchyard.yaml');
  await writeFile(configPath, options.configYaml);
  const database = await createTestDatabase(options.servers.postgresUrl);
  const prefix = uniquePrefix('p');
  const output: string[] = [];
  const stack = await startStack({
    root: ROOT,
    config: configPath,
    scale: options.scale,
    port: 20_000 + Math.floor(Math.random() * 20_000),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NATS_URL: options.servers.natsUrl,
      REDIS_URL: options.servers.redisUrl,
      DATABASE_URL: database.url,
      SWITCHYARD_BUS_PREFIX: prefix,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    onOutput: (line) => output.push(line),
  });
  return {
    stack,
    output,
    prefix,
    async stop() {
      await stack.stop();
      await database.drop();
    },
  };
}
