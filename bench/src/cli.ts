#!/usr/bin/env node
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE, type BenchOptions } from './args.js';
import { runLimiterCost } from './benchmarks/limiter.js';
import { runKeysCost } from './benchmarks/keys.js';
import { memorySection, snapshotRss, type ProcessRef, type RssSnapshot } from './benchmarks/memory.js';
import { runMockCapacity } from './benchmarks/mock-capacity.js';
import { runOverhead } from './benchmarks/overhead.js';
import { runRouting } from './benchmarks/routing.js';
import { runStreaming } from './benchmarks/streaming.js';
import { runThroughput, type ThroughputResult } from './benchmarks/throughput.js';
import { runTokens } from './benchmarks/tokens.js';
import { runTranslation } from './benchmarks/translation.js';
import { sleep } from './clock.js';
import type { BenchContext } from './context.js';
import { describeMachine } from './machine.js';
import { startMockProcess, type MockHandle } from './mock/process.js';
import { startPortkey, type PeerRun } from './peer/portkey.js';
import { profileSection, summarizeProfiles } from './profile.js';
import { machineTable, printProblems, printSection, renderText, writeReport, type RunReport, type Section } from './report.js';
import { startSwitchyard, type SwitchyardRun } from './switchyard.js';
import { openStream } from './sse-client.js';
import { chatBody, directTarget } from './targets.js';

/*
 * `pnpm bench`: starts the mock provider, Switchyard (every service a
 * process) and the peer gateway, runs the selected benchmarks in order,
 * prints each table as it is ready, stops everything, and writes the report
 * (JSON + Markdown) and the routing plot under bench/results/.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_BENCHMARKS = ['mock', 'overhead', 'limiter', 'keys', 'throughput', 'streaming', 'memory'] as const;

const began = performance.now();
const progress = (message: string): void => console.error(`[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${message}`);
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchArgs(argv, join(ROOT, 'bench', 'results'));
  } catch (error) {
    console.error(`${message(error)}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const machine = describeMachine();
  const report: RunReport = {
    mode: options.quick ? 'quick' : 'full',
    command: ['pnpm bench', ...argv].join(' '),
    startedAt: new Date().toISOString(),
    finishedAt: '',
    machine,
    options: { ...options, only: [...options.only] },
    sections: [],
    problems: [],
  };
  console.log(renderText(machineTable(machine)));
  const add = (section: Section): void => {
    report.sections.push(section);
    printSection(section);
  };
  const stem = options.quick ? 'summary-quick' : 'summary';
  const profileDir = options.cpuProf ? join(options.out, 'profiles', report.startedAt.replace(/[:.]/g, '-')) : undefined;

  let profilePids = new Map<number, string>();
  if (SERVER_BENCHMARKS.some((name) => options.only.has(name))) {
    profilePids = await runServerBenchmarks(options, report, add, profileDir);
  }
  if (profileDir && profilePids.size > 0) {
    try {
      add(profileSection(summarizeProfiles(profileDir, profilePids)));
    } catch (error) {
      report.problems.push(`CPU profiles: ${message(error)}`);
    }
  }
  if (options.only.has('routing')) {
    progress(`routing: ${options.routingIterations} classify + pick iterations, ${options.routingSeeds} x ${options.routingTurns} simulated turns`);
    const routing = runRouting({ iterations: options.routingIterations, turns: options.routingTurns, seeds: options.routingSeeds });
    add(routing.section);
    mkdirSync(options.out, { recursive: true });
    const svg = join(options.out, options.quick ? 'routing-regret-quick.svg' : 'routing-regret.svg');
    writeFileSync(svg, routing.svg);
    console.log(`\nplot: ${svg}`);
  }
  if (options.only.has('tokens')) {
    progress('tokens: counting hostile and ordinary prompts, before and after the bounded count');
    add(runTokens({ quick: options.quick }));
  }
  if (options.only.has('translation')) {
    progress('translation: the Anthropic request, response and stream transforms');
    add(runTranslation({ quick: options.quick }));
  }
  report.finishedAt = new Date().toISOString();
  printProblems(report.problems);
  const files = writeReport(options.out, stem, report);
  console.log(`\nwritten: ${files.join(', ')} (${((performance.now() - began) / 1000).toFixed(0)} s)`);
  return 0;
}

/** Starts the servers, runs every benchmark that needs them, stops them; returns pid -> replica name for the profiles. */
async function runServerBenchmarks(
  options: BenchOptions,
  report: RunReport,
  add: (section: Section) => void,
  profileDir: string | undefined,
): Promise<Map<number, string>> {
  const workDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  let mock: MockHandle | null = null;
  let switchyard: SwitchyardRun | null = null;
  let peer: PeerRun | null = null;
  const pids = new Map<number, string>();
  try {
    progress('starting the mock provider');
    mock = await startMockProcess();
    progress('starting Switchyard (ingress, limiter, upstream-caller, learner as processes)');
    try {
      switchyard = await startSwitchyard({ root: ROOT, mockUrl: mock.url, workDir, logLevel: options.logLevel, cpuProfDir: profileDir, port: options.port });
      for (const replica of switchyard.replicas()) pids.set(replica.pid, replica.name);
    } catch (error) {
      report.problems.push(`Switchyard: ${message(error)}`);
    }
    if (options.peer) {
      progress('starting the peer gateway (@portkey-ai/gateway)');
      try {
        peer = await startPortkey({ mockUrl: mock.url });
        (report.options as Record<string, unknown>)['peerVersion'] = `@portkey-ai/gateway ${peer.version}`;
      } catch (error) {
        report.problems.push(`Peer (Portkey gateway): ${message(error)}`);
      }
    } else {
      report.problems.push('Peer (Portkey gateway): not started (--no-peer).');
    }
    const ctx: BenchContext = {
      options,
      mock,
      direct: directTarget(mock.url, mock.pid),
      switchyard: switchyard ? { limited: switchyard.limited, unlimited: switchyard.unlimited } : null,
      peer: peer?.target ?? null,
      peerStreaming: null,
      progress,
    };
    const processes: ProcessRef[] = [...(switchyard?.limited.pids ?? []), ...(peer?.target.pids ?? []), ...ctx.direct.pids];
    await sleep(1_000);
    const rest: RssSnapshot = snapshotRss(processes);

    if (options.only.has('mock')) add(await runMockCapacity(ctx));
    let overhead: Awaited<ReturnType<typeof runOverhead>> | null = null;
    if (options.only.has('overhead')) {
      overhead = await runOverhead(ctx);
      add(overhead.section);
    }
    if (options.only.has('limiter')) add(await runLimiterCost(ctx, overhead?.measured ?? null));
    if (options.only.has('keys')) {
      const mockUrl = mock.url;
      add(await runKeysCost(ctx, (masterKey) => startSwitchyard({ root: ROOT, mockUrl, workDir: join(workDir, 'keys'), logLevel: options.logLevel, masterKey })));
    }
    let throughput: ThroughputResult | null = null;
    if (options.only.has('throughput') || options.only.has('memory')) {
      throughput = await runThroughput(ctx, processes);
      if (options.only.has('throughput')) add(throughput.section);
    }
    if (options.only.has('streaming')) add(await withStreamingPeer(ctx, options, report, () => runStreaming(ctx)));
    if (options.only.has('memory')) {
      await sleep(2_000);
      add(
        memorySection({
          processes,
          rest,
          load: throughput?.memoryUnderLoad ?? null,
          loadLabel: `concurrency ${throughput?.peakLevel ?? '-'}`,
          after: snapshotRss(processes),
        }),
      );
    }
  } finally {
    progress('stopping');
    await peer?.stop().catch((error: unknown) => report.problems.push(`stopping the peer: ${message(error)}`));
    await switchyard?.stop().catch((error: unknown) => report.problems.push(`stopping Switchyard: ${message(error)}`));
    await mock?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  return pids;
}

/**
 * Runs `task` with a second peer process that can stream: the peer as
 * installed fails every streamed request on Node 22 (see peer/hooks.ts).
 */
async function withStreamingPeer<T>(ctx: BenchContext, options: BenchOptions, report: RunReport, task: () => Promise<T>): Promise<T> {
  if (!options.peer || !ctx.peer) return task();
  const agent = new Agent({ keepAlive: false });
  const probe = await openStream(ctx.peer, chatBody(ctx.peer.model, { stream: true }), agent, 0);
  agent.destroy();
  if (probe.status === 200 && probe.done) {
    ctx.peerStreaming = ctx.peer;
    try {
      return await task();
    } finally {
      ctx.peerStreaming = null;
    }
  }
  progress(`the peer answered a streamed request with ${probe.status || probe.error}: starting a second peer process with the stream fix`);
  let streaming: PeerRun | null = null;
  try {
    streaming = await startPortkey({ mockUrl: ctx.mock.url, streamingFix: true });
    ctx.peerStreaming = streaming.target;
    report.problems.push(
      `Peer streaming: @portkey-ai/gateway as installed answered a streamed request with ${probe.status || probe.error} (on Node 22: "TypeError: immutable" in updateHeaders, Portkey-AI/gateway #1389, #1550). The streaming rows use a second Portkey process started with a module hook that sets @hono/node-server's overrideGlobalObjects: false (bench/src/peer/hooks.ts); every other figure uses Portkey as installed.`,
    );
  } catch (error) {
    report.problems.push(`Peer streaming: Portkey as installed answered ${probe.status || probe.error}, and with the stream fix: ${message(error)}`);
  }
  try {
    return await task();
  } finally {
    ctx.peerStreaming = null;
    await streaming?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
