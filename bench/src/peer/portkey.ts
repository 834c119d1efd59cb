import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { sleep } from '../clock.js';
import { chatBody, portkeyTarget, type Target } from '../targets.js';

/*
 * The peer: Portkey's open-source gateway (npm @portkey-ai/gateway), its own
 * Node server (build/start-server.js, hono on @hono/node-server), headless and
 * in production mode, pointed at the same mock with its custom-host headers.
 * As installed from npm it cannot stream on Node 22 (see ./hooks.ts); with
 * `streamingFix` its process loads that hook first, and only the streaming
 * benchmark uses such an instance.
 */

export interface PeerRun {
  target: Target;
  version: string;
  stop(): Promise<void>;
}

export interface PeerOptions {
  mockUrl: string;
  streamingFix?: boolean;
  port?: number | undefined;
}

/** A port nobody listens on right now, from the OS. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts the peer; a port taken between choosing and listening is retried with another. */
export async function startPortkey(options: PeerOptions): Promise<PeerRun> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce({ ...options, port: options.port ?? (await freePort()) });
    } catch (error) {
      const taken = error instanceof Error && error.message.includes('EADDRINUSE');
      if (!taken || attempt >= 3 || options.port !== undefined) throw error;
    }
  }
}

async function startOnce(options: PeerOptions & { port: number }): Promise<PeerRun> {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('@portkey-ai/gateway/package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const entry = join(dirname(manifest), 'build', 'start-server.js');
  const port = options.port;
  const output: string[] = [];
  const hooks = fileURLToPath(new URL('./register.js', import.meta.url));
  const preload = options.streamingFix ? ['--import', hooks] : [];
  const child = spawn(process.execPath, [...preload, entry, `--port=${port}`, '--headless'], {
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString('utf8'));
    if (output.length > 50) output.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited: number | null | string = null;
  child.once('exit', (code, signal) => (exited = code ?? signal));

  const origin = `http://127.0.0.1:${port}`;
  const target = portkeyTarget(origin, options.mockUrl, child.pid!, options.streamingFix === true);
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    });

  const deadline = Date.now() + 20_000;
  let last = '';
  for (;;) {
    if (exited !== null) throw new Error(`Portkey gateway ${version} exited (${exited}) at start: ${output.join('').slice(-800)}`);
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...target.headers },
        body: chatBody(target.model, options.streamingFix ? { stream: true } : {}),
      });
      last = `${response.status} ${await response.text()}`;
      if (response.status === 200) return { target, version, stop };
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Portkey gateway ${version} did not answer 200 through the mock within 20 s (last: ${last.slice(0, 300)})`);
    }
    await sleep(200);
  }
}
