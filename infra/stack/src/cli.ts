#!/usr/bin/env node
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgsError, parseArgs, USAGE } from './args.js';
import { StackError } from './errors.js';
import { planReplicas } from './plan.js';
import type { ReplicaSpec } from './plan.js';
import { startStack } from './stack.js';
import type { ReplicaExitEvent, Stack } from './stack.js';
import { SERVICE_NAMES } from './services.js';

/*
 * `pnpm stack up [--config FILE] [--scale S=N,...] [--port P]`: the whole
 * gateway as local processes. Output: every replica's lines prefixed with its
 * name, then the ingress URLs and `stack ready`. A replica that dies is
 * started again after a backoff (compose's `restart: unless-stopped`), the
 * others carry on. Ctrl-C stops it (a second Ctrl-C kills it); replicas also
 * stop when the launcher itself is killed. Exit codes: 0 stopped on request,
 * 1 failed to start, 2 bad command line.
 */

// infra/stack/dist/cli.js -> the repository root.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

process.stdout.on('error', () => undefined);
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const err = (line: string): void => void process.stderr.write(`${line}\n`);

function summary(plan: readonly ReplicaSpec[]): string {
  return SERVICE_NAMES.map((service) => {
    const ports = plan.filter((spec) => spec.service === service).map((spec) => spec.port);
    if (ports.length === 0) return `${service} x0`;
    const range = ports.length === 1 ? `${ports[0]}` : `${ports[0]}-${ports[ports.length - 1]}`;
    return `${service} x${ports.length} (port ${range})`;
  }).join(', ');
}

async function main(): Promise<number> {
  let command;
  try {
    command = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ArgsError)) throw error;
    err(`stack: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (command.command === 'help') {
    out(USAGE);
    return 0;
  }

  // pnpm runs scripts from the root; a relative --config means the caller's directory.
  const callerDir = process.env['INIT_CWD'] ?? process.cwd();
  const config = command.config === undefined ? undefined : resolve(callerDir, command.config);
  let plan: ReplicaSpec[];
  try {
    plan = planReplicas(command);
  } catch (error) {
    if (!(error instanceof StackError)) throw error;
    err(`stack: ${error.message}`);
    return 2;
  }
  const width = Math.max('stack'.length, ...plan.map((spec) => spec.name.length));
  const say = (line: string): void => out(`${'stack'.padEnd(width)} | ${line}`);
  say(`starting ${summary(plan)}${config === undefined ? '' : ` with ${config}`}`);

  let stack: Stack | null = null;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const startup = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      say(`${signal} again: killing every replica`);
      // The 'exit' hook of startStack sends SIGKILL to what still runs.
      process.exit(130);
    }
    say(`${signal}: stopping (again to kill)`);
    if (stack === null) startup.abort();
    else void stack.stop().then(() => finish(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const onExit = (event: ReplicaExitEvent): void => {
    if (event.expected) return;
    const how = event.signal !== null ? `killed by ${event.signal}` : `exit code ${event.code ?? 'unknown'}`;
    say(`${event.name} exited unexpectedly (${how}): restarting in ${event.restartInMs ?? 0} ms`);
  };

  try {
    stack = await startStack({
      root: ROOT,
      config,
      scale: command.scale,
      port: command.port,
      env: process.env,
      onOutput: out,
      onExit,
      restartDied: true,
      onRestart: (replica) => say(`${replica.name} restarted (pid ${replica.pid})`),
      signal: startup.signal,
    });
  } catch (error) {
    if (!(error instanceof StackError)) throw error;
    if (startup.signal.aborted) {
      say('stopped');
      return 0;
    }
    err(`stack: ${error.message}`);
    return 1;
  }

  for (const url of stack.ingressUrls) say(`ingress ${url}`);
  say(`stack ready (${stack.replicas.length} replicas); Ctrl-C to stop`);
  const code = await finished;
  say(code === 0 ? 'stopped' : 'stopped after a failure');
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Anything left (a stuck handle) must not keep the launcher alive.
    setTimeout(() => process.exit(code), 1_000).unref();
  },
  (error: unknown) => {
    err(`stack: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
