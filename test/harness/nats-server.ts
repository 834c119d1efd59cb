import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, killUntilClosed } from './redis-server.js';

const READY_LINE = /Server is ready/;

/** nats-server from PATH, else where Debian's package puts it (/usr/sbin is not on every PATH). */
function natsServerBinary(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';
}
const START_TIMEOUT_MS = 15_000;

/**
 * A nats-server of the test's own (JetStream on, its store in a temporary
 * directory) on a free port, so a fault test can kill it and bring it back on
 * the same port with the same store, as a crashed and restarted server would
 * come back.
 */
export class OwnNatsServer {
  readonly port: number;
  readonly storeDir: string;
  #process: ChildProcess | null = null;

  private constructor(port: number, storeDir: string) {
    this.port = port;
    this.storeDir = storeDir;
  }

  static async start(): Promise<OwnNatsServer> {
    const server = new OwnNatsServer(await freePort(), await mkdtemp(join(tmpdir(), 'switchyard-nats-')));
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#process !== null;
  }

  /** Starts the server (again) and resolves once it logged that it is ready, JetStream recovered. */
  async restart(): Promise<void> {
    if (this.#process) return;
    const child = spawn(natsServerBinary(), ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#process = child;
    // A test process that ends without stop() (a crash, a timeout) must not leave the server running.
    const reap = () => child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    const tail: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`nats-server on ${this.port} not ready after ${START_TIMEOUT_MS} ms:\n${tail.join('')}`)), START_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        tail.push(text);
        if (tail.length > 20) tail.shift();
        if (READY_LINE.test(text)) done();
      };
      const onExit = (code: number | null) => fail(new Error(`nats-server on ${this.port} exited with ${code} during start:\n${tail.join('')}`));
      const cleanup = () => {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        // Keep reading so that a full pipe never blocks the server.
        child.stderr?.resume();
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const fail = (error: Error) => {
        cleanup();
        child.kill('SIGKILL');
        this.#process = null;
        reject(error);
      };
      child.stderr?.on('data', onData);
      child.once('exit', onExit);
    });
  }

  /** SIGKILL: the server vanishes as in a crash, without a goodbye to its clients. */
  async kill(): Promise<void> {
    const child = this.#process;
    this.#process = null;
    if (child) await killUntilClosed(child, this.port, 'nats-server');
  }

  /** Kills the server and removes its store. */
  async stop(): Promise<void> {
    await this.kill();
    await rm(this.storeDir, { recursive: true, force: true });
  }
}
