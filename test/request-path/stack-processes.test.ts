import { randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStack, StackError, type ReplicaExitEvent, type ReplicaInfo, type Stack } from '@switchyard/stack';
import { createTestDatabase, startMockProvider, uniquePrefix, type MockProvider } from '../harness/index.js';
import { chat, manyModelsConfig, post, PROVIDER_KEY_ENV, readJson } from './fixtures.js';

/**
 * Invariant I1 with the services as real processes (from `services/<name>/dist`,
 * which `pnpm test` builds first), started by the same `startStack` as
 * `pnpm stack`: two ingress and two upstream-caller replicas, 38 models, one
 * provider call per request. Then every process stops cleanly.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCALE = { ingress: 2, limiter: 1, 'upstream-caller': 2, learner: 1, keys: 1, ledger: 1 };
const REPLICAS = Object.values(SCALE).reduce((sum, count) => sum + count, 0);

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('stack: the request path as real processes, two ingress and two upstream-caller replicas', () => {
  let mock: MockProvider;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let configDir: string;
  let stack: Stack | undefined;
  let started: ReplicaInfo[] = [];
  const exits: ReplicaExitEvent[] = [];
  const output: string[] = [];

  beforeAll(async () => {
    const servers = inject('servers');
    mock = await startMockProvider();
    database = await createTestDatabase(servers.postgresUrl);
    configDir = await mkdtemp(join(tmpdir(), 'switchyard-stack-test-'));
    const config = join(configDir, 'gateway.yaml');
    await writeFile(config, manyModelsConfig(mock.url));
    const env = {
      NATS_URL: servers.natsUrl,
      REDIS_URL: servers.redisUrl,
      DATABASE_URL: database.url,
      SWITCHYARD_BUS_PREFIX: uniquePrefix('stack'),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SHUTDOWN_GRACE_MS: '10000',
      ...PROVIDER_KEY_ENV,
    };
    // A base port whose ranges another process holds is refused before anything starts: try another.
    for (let attempt = 1; stack === undefined; attempt++) {
      try {
        stack = await startStack({
          root: ROOT,
          config,
          scale: SCALE,
          port: randomInt(20_000, 40_000),
          env,
          onOutput: (line) => output.push(line),
          onExit: (event) => exits.push(event),
        });
      } catch (error) {
        const portTaken = error instanceof StackError && error.message.startsWith('cannot use port');
        if (!portTaken || attempt >= 3) throw error;
      }
    }
    started = stack.replicas;
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
    await database?.drop();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it('stack: starts every replica, each its own process', () => {
    expect(started).toHaveLength(REPLICAS);
    expect(new Set(started.map((replica) => replica.pid)).size).toBe(REPLICAS);
    expect(stack!.ingressUrls).toHaveLength(2);
    for (const replica of started) expect(isRunning(replica.pid)).toBe(true);
  });

  it('stack: six requests round-robin over the ingress replicas make exactly six provider calls', async () => {
    mock.reset();
    const urls = stack!.ingressUrls;
    const at = (i: number) => urls[i % urls.length]!;
    const responses = [
      await post(at(0), '/chat/completions', chat('model-0')),
      await post(at(1), '/chat/completions', chat('model-1', 'Stream please', { stream: true })),
      await post(at(2), '/embeddings', { model: 'embed', input: 'hello world' }),
      await post(at(3), '/chat/completions', chat('smart')),
      await post(at(4), '/chat/completions', chat('pool')),
      await post(at(5), '/completions', { model: 'model-5', prompt: 'Once upon a time' }),
    ];
    const [chatBody, streamText, embeddingBody] = [await readJson(responses[0]!), await responses[1]!.text(), await readJson(responses[2]!)];
    await Promise.all(responses.slice(3).map((response) => response.text()));

    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    }
    expect(chatBody.choices[0].message.content).toEqual(expect.any(String));
    expect(streamText.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(embeddingBody.data[0].embedding.length).toBeGreaterThan(0);
    expect(mock.calls).toBe(6);
    const byModel = mock.callsByModel();
    const poolMember = Object.keys(byModel).find((model) => model.startsWith('pool-'));
    expect(byModel).toEqual({
      'provider-model-0': 1,
      'provider-model-1': 1,
      'embedding-model': 1,
      'provider-model-3': 1,
      [poolMember!]: 1,
      'provider-model-5': 1,
    });
    expect(exits).toEqual([]);
  });

  it('stack: stop ends every process, each with a clean exit', async () => {
    await stack!.stop();

    for (const replica of started) expect(isRunning(replica.pid)).toBe(false);
    expect(exits).toHaveLength(REPLICAS);
    for (const exit of exits) {
      expect(exit, `${exit.name} exited with ${exit.code ?? exit.signal}; output:\n${output.slice(-20).join('\n')}`).toMatchObject({
        expected: true,
        code: 0,
        signal: null,
      });
    }
    expect(new Set(exits.map((exit) => exit.name))).toEqual(new Set(started.map((replica) => replica.name)));
  });
});
