import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answers } from './servers.js';

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface OwnRedisOptions {
  /**
   * Keep the data across a kill: an append-only file fsynced on every write,
   * in a temporary directory, so a restarted server has the counters the
   * killed one had (a crash of a persistent Redis). Default: no persistence.
   */
  persistent?: boolean;
}

/** SIGKILLs a server process and waits until its port no longer answers. */
export async function killUntilClosed(child: ChildProcess, port: number, name: string): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  await waitUntil(async () => !(await answers('127.0.0.1', port, 200)), 10_000, `${name} on ${port} to stop`);
}

/**
 * A redis-server of the test's own on a free port, so the test can kill it
 * and bring it back on the same port.
 */
export class OwnRedisServer {
  readonly port: number;
  #process: ChildProcess | null = null;
  readonly #dataDir: string | null;

  private constructor(port: number, dataDir: string | null) {
    this.port = port;
    this.#dataDir = dataDir;
  }

  static async start(options: OwnRedisOptions = {}): Promise<OwnRedisServer> {
    const dataDir = options.persistent ? await mkdtemp(join(tmpdir(), 'switchyard-redis-')) : null;
    const server = new OwnRedisServer(await freePort(), dataDir);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    if (this.#process) return;
    const persistence = this.#dataDir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.#dataDir] : ['--appendonly', 'no'];
    this.#process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence], {
      stdio: 'ignore',
    });
    await waitUntil(() => answers('127.0.0.1', this.port, 200), 10_000, `redis-server on ${this.port}`);
  }

  /** SIGKILL: the server vanishes as in a crash, without a goodbye to its clients. */
  async kill(): Promise<void> {
    const child = this.#process;
    this.#process = null;
    if (child) await killUntilClosed(child, this.port, 'redis-server');
  }

  /** Kills the server and removes its data directory, if it has one. */
  async stop(): Promise<void> {
    await this.kill();
    if (this.#dataDir) await rm(this.#dataDir, { recursive: true, force: true });
  }
}
