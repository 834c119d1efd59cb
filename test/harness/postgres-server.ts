import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.js';
import { answers } from './servers.js';

const run = promisify(execFile);

/** Where Debian puts the Postgres 15 server binaries (not on PATH). */
const BIN = process.env.SWITCHYARD_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Postgres refuses to run as root: as root, the test's server runs as the `postgres` system user. */
async function serverUser(): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * A Postgres server of the test's own (initdb into a temporary directory, a
 * free port, trust auth on 127.0.0.1), so the test can kill it and bring it
 * back on the same port with its data. The machine's own Postgres is never
 * touched.
 */
export class OwnPostgresServer {
  readonly port: number;
  readonly #dataDir: string;
  readonly #user: { uid: number; gid: number } | null;
  #process: ChildProcess | null = null;

  private constructor(port: number, dataDir: string, user: { uid: number; gid: number } | null) {
    this.port = port;
    this.#dataDir = dataDir;
    this.#user = user;
  }

  static async start(): Promise<OwnPostgresServer> {
    const user = await serverUser();
    const root = await mkdtemp(join(tmpdir(), 'switchyard-pg-'));
    const dataDir = join(root, 'data');
    if (user) await chown(root, user.uid, user.gid);
    await run(join(BIN, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {
      ...(user ?? {}),
    });
    const server = new OwnPostgresServer(await freePort(), dataDir, user);
    await server.restart();
    return server;
  }

  /** The admin URL (database `postgres`). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async restart(): Promise<void> {
    if (this.#process) return;
    // The socket directory is the data directory: nothing is written to /var/run/postgresql.
    this.#process = spawn(
      join(BIN, 'postgres'),
      ['-D', this.#dataDir, '-p', String(this.port), '-h', '127.0.0.1', '-k', this.#dataDir, '-c', 'fsync=off', '-c', 'max_connections=50'],
      { stdio: 'ignore', ...(this.#user ?? {}) },
    );
    const child = this.#process;
    const deadline = Date.now() + 30_000;
    while (!(await this.#ready())) {
      if (child.exitCode !== null) throw new Error(`postgres on ${this.port} exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for postgres on ${this.port}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async #ready(): Promise<boolean> {
    if (!(await answers('127.0.0.1', this.port, 200))) return false;
    try {
      await run(join(BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres']);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Postgres's immediate shutdown (SIGQUIT): every backend is killed at once,
   * mid-transaction, with no checkpoint, as in a crash; the restart recovers
   * what was committed. (A SIGKILL of the postmaster alone would leave its
   * backends holding the shared memory a restart needs.)
   */
  async kill(): Promise<void> {
    const child = this.#process;
    this.#process = null;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGQUIT');
    await exited;
    const deadline = Date.now() + 10_000;
    while (await answers('127.0.0.1', this.port, 200)) {
      if (Date.now() > deadline) throw new Error(`postgres on ${this.port} did not stop`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(join(this.#dataDir, '..'), { recursive: true, force: true });
  }
}
