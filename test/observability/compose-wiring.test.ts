import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { composeServiceEnv, readComposeFile } from '@switchyard/stack';
import { createTestDatabase, eventually, freePort, OtlpReceiver, SPAN_KIND, uniquePrefix } from '../harness/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVICES = ['ingress', 'limiter', 'upstream-caller', 'learner'] as const;

/**
 * Docker cannot run here, so the compose file's wiring is tested natively:
 * each Switchyard service of docker-compose.yml is started as a local process
 * with its command and the environment compose gives it (service host names
 * mapped to local addresses), and a request goes through, traced to the
 * compose file's OTLP endpoint.
 */
describe('observability: the docker-compose.yml wiring, run as local processes', () => {
  const children: ChildProcess[] = [];
  const output: string[] = [];
  let receiver: OtlpReceiver;
  let ingressPort = 0;
  let dropDatabase: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    const servers = inject('servers');
    receiver = await OtlpReceiver.start();
    const compose = readComposeFile(`${ROOT}docker-compose.yml`) as { services: Record<string, { command?: string[] }> };
    const ports: Record<string, number> = {
      nats: Number(new URL(servers.natsUrl).port),
      redis: Number(new URL(servers.redisUrl).port),
      postgres: Number(new URL(servers.postgresUrl).port),
      'jaeger:4318': Number(new URL(receiver.url).port),
    };
    for (const service of SERVICES) ports[service] = await freePort();
    ingressPort = ports.ingress!;
    const env = composeServiceEnv(compose, {
      variables: { SWITCHYARD_BUS_PREFIX: uniquePrefix('compose'), LOG_LEVEL: 'info' },
      ports,
      projectDir: ROOT,
    });
    // The one change to what compose gives: a database of the test's own on the shared Postgres.
    const database = await createTestDatabase(servers.postgresUrl);
    dropDatabase = database.drop;
    const learnerUrl = new URL(env.learner!.DATABASE_URL!);
    learnerUrl.pathname = `/${database.name}`;
    env.learner!.DATABASE_URL = learnerUrl.toString();

    for (const service of SERVICES) {
      const [, script] = compose.services[service]!.command!;
      const child = spawn(process.execPath, [script!], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ...env[service], OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (chunk: Buffer) => output.push(`${service} | ${chunk.toString()}`));
      child.stderr!.on('data', (chunk: Buffer) => output.push(`${service} ! ${chunk.toString()}`));
      children.push(child);
    }
    for (const service of SERVICES) {
      await eventually(
        async () => {
          const response = await fetch(`http://127.0.0.1:${ports[service]}/readyz`).catch(() => null);
          return response?.status === 200 ? true : undefined;
        },
        30_000,
        `${service} ready with the compose environment (output: ${output.slice(-3).join(' ')})`,
      );
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }),
    );
    await dropDatabase?.();
    await receiver?.close();
  });

  it('serves a chat completion through all four services with the mounted config', async () => {
    const response = await fetch(`http://127.0.0.1:${ingressPort}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello from compose' }] }),
    });
    const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
    expect(response.status).toBe(200);
    expect(body.choices[0]!.message.content).toContain('hello from compose');
    expect(response.headers.get('x-switchyard-deployment')).toMatch(/^gpt-4o-mini\//);
  });

  it("exports the request's trace to the compose file's OTLP endpoint", async () => {
    const services = await eventually(async () => {
      const names = new Set(receiver.spans.map((span) => span.service));
      return ['ingress', 'limiter', 'upstream-caller'].every((name) => names.has(name)) ? names : undefined;
    }, 20_000, 'spans from every service on the request path');
    expect(services.has('ingress')).toBe(true);
    expect(receiver.spans.filter((span) => span.kind === SPAN_KIND.CLIENT && span.service === 'upstream-caller')).toHaveLength(1);
  });
});
