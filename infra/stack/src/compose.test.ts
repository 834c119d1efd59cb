import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGatewayConfig } from '@switchyard/config';
import { describe, expect, it } from 'vitest';
import { composeServiceEnv, readComposeFile } from './compose-env.js';
import { SERVICE_NAMES } from './services.js';

/*
 * Static checks of the docker compose stack: Docker cannot run here, so what
 * can be read is checked (wiring, health, mounts, config, image). Paths in the
 * compose file are relative to the repository root, where it belongs (it may
 * still sit in infra/ until moved).
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const COMPOSE_PATH = ['docker-compose.yml', 'infra/docker-compose.yml'].map((path) => join(ROOT, path)).find(existsSync);
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

type Service = {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, unknown>;
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
  ports?: unknown[];
  volumes?: unknown[];
  container_name?: string;
};

const compose = readComposeFile(COMPOSE_PATH ?? 'missing') as { services: Record<string, Service> };
const services = compose.services;
const env = composeServiceEnv(compose, { projectDir: ROOT });
const service = (name: string): Service => {
  const found = services[name];
  if (found === undefined) throw new Error(`compose has no service ${name}`);
  return found;
};
/** The hosts that a service's URL-valued variables point at. */
const urlHosts = (name: string): Map<string, string> => {
  const hosts = new Map<string, string>();
  for (const [key, value] of Object.entries(service(name).environment ?? {})) {
    const host = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^:/?#]+)/i.exec(String(value))?.[1];
    if (host !== undefined) hosts.set(key, host);
  }
  return hosts;
};

describe('compose stack', () => {
  it('compose stack: the file exists and has every service the gateway needs', () => {
    expect(COMPOSE_PATH).toBeDefined();
    for (const name of ['nats', 'redis', 'postgres', 'jaeger', 'lb', ...SERVICE_NAMES]) expect(services).toHaveProperty(name);
  });

  it('compose stack: each Switchyard service runs its entry from the one image built from infra/Dockerfile', () => {
    expect(existsSync(join(ROOT, 'infra/Dockerfile'))).toBe(true);
    for (const name of SERVICE_NAMES) {
      const s = service(name);
      expect(s.build, name).toEqual({ context: '.', dockerfile: 'infra/Dockerfile' });
      expect(s.image, name).toBe(service('ingress').image);
      expect(s.command, name).toEqual(['node', `services/${name}/dist/main.js`]);
      expect(existsSync(join(ROOT, `services/${name}/src/main.ts`)), name).toBe(true);
      // Scaling needs replicas without fixed names or host ports.
      expect(s.container_name, name).toBeUndefined();
    }
  });

  it('compose stack: each Switchyard service names NATS, and every URL host is a compose service it depends on', () => {
    for (const name of SERVICE_NAMES) {
      const hosts = urlHosts(name);
      expect(hosts.get('NATS_URL'), name).toBe('nats');
      expect(hosts.get('OTEL_EXPORTER_OTLP_ENDPOINT'), name).toBe('jaeger');
      for (const [key, host] of hosts) {
        expect(services, `${name}.${key}`).toHaveProperty(host);
        expect(service(name).depends_on, `${name} depends on ${host} (${key})`).toHaveProperty(host);
      }
    }
    expect(urlHosts('limiter').get('REDIS_URL')).toBe('redis');
    expect(urlHosts('ingress').get('REDIS_URL')).toBe('redis');
    expect(urlHosts('learner').get('DATABASE_URL')).toBe('postgres');
    expect(urlHosts('keys').get('DATABASE_URL')).toBe('postgres');
    expect(urlHosts('ledger').get('DATABASE_URL')).toBe('postgres');
  });

  it('compose stack: depends_on waits for health wherever the dependency has a healthcheck', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services, `${name} -> ${dependency}`).toHaveProperty(dependency);
        const expected = service(dependency).healthcheck === undefined ? 'service_started' : 'service_healthy';
        expect(condition, `${name} -> ${dependency}`).toBe(expected);
      }
    }
    for (const server of ['nats', 'redis', 'postgres']) expect(service(server).healthcheck, server).toBeDefined();
    expect(service('lb').depends_on?.['ingress']?.condition).toBe('service_healthy');
  });

  it('compose stack: Switchyard services check /readyz on the PORT they are given, distinct per service', () => {
    const ports = SERVICE_NAMES.map((name) => env[name]?.['PORT']);
    expect(ports).toEqual(['4000', '4100', '4200', '4300', '4400', '4500']);
    for (const name of SERVICE_NAMES) {
      const test = service(name).healthcheck?.test?.join(' ') ?? '';
      expect(test, name).toContain('/readyz');
      expect(test, name).toContain('process.env.PORT');
    }
  });

  it('compose stack: NATS runs JetStream with its monitoring port for the healthcheck', () => {
    const nats = service('nats');
    expect(nats.image).toMatch(/^nats:2\.\d+.*-alpine$/);
    expect(nats.command).toContain('--jetstream');
    expect(nats.healthcheck?.test?.join(' ')).toContain('8222/healthz');
    expect(nats.command?.join(' ')).toContain('--http_port 8222');
  });

  it('compose stack: only the load balancer and Jaeger UI publish ports; the ingress scales behind lb', () => {
    expect(service('ingress').ports).toBeUndefined();
    const published = Object.entries(services).filter(([, s]) => s.ports !== undefined).map(([name]) => name);
    expect(published.sort()).toEqual(['jaeger', 'lb']);
    expect(service('lb').ports).toEqual(['${SWITCHYARD_PORT:-4000}:4000']);
    const nginx = read('infra/nginx.conf');
    expect(nginx).toContain(`http://ingress:${env['ingress']?.['PORT']}`);
    expect(nginx).toMatch(/resolver 127\.0\.0\.11/);
    expect(nginx).toMatch(/proxy_buffering off;/);
    expect(nginx).toMatch(/listen 4000;/);
  });

  it('compose stack: mounted paths exist and SWITCHYARD_CONFIG points into a mount', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const volume of s.volumes ?? []) {
        const source = String(volume).split(':')[0] ?? '';
        if (source.startsWith('.')) expect(existsSync(join(ROOT, source)), `${name}: ${source}`).toBe(true);
      }
    }
    for (const name of SERVICE_NAMES) {
      const config = env[name]?.['SWITCHYARD_CONFIG'];
      expect(config, name).toBe(join(ROOT, 'infra/config/switchyard.yaml'));
      expect(existsSync(config ?? ''), name).toBe(true);
    }
  });

  it('compose stack: the mounted config loads in every service with the environment compose gives it, no key set', () => {
    const text = read('infra/config/switchyard.yaml');
    for (const name of SERVICE_NAMES) {
      const config = parseGatewayConfig(text, { source: 'infra/config/switchyard.yaml', env: env[name] ?? {} });
      expect(config.deployments.every((deployment) => deployment.provider === 'mock'), name).toBe(true);
      expect([...config.groups.keys()].sort(), name).toEqual(['gpt-4o-mini', 'mock-chat', 'text-embedding-3-small']);
      expect(config.warnings, name).toEqual([]);
      expect(config.general.masterKey, name).toBeNull();
    }
  });

  it('compose stack: the commented examples are valid once uncommented', () => {
    const lines = read('infra/config/switchyard.yaml').split('\n');
    const start = lines.findIndex((line) => line.includes('--- Real providers'));
    const end = lines.findIndex((line) => line.startsWith('router_settings:'));
    expect(start).toBeGreaterThan(0);
    const uncommented = lines.map((line, i) => {
      if (i > start && i < end) return line.replace(/^ {2}#( |$)/, '  ');
      return line.replace(/^(\s*)# ((rpm|tpm|num_retries|master_key): .*)$/, '$1$2');
    });
    const config = parseGatewayConfig(uncommented.join('\n'), {
      source: 'uncommented',
      env: { ...env['upstream-caller'], SWITCHYARD_MASTER_KEY: 'sk-master', OPENAI_API_KEY: 'sk-test' },
    });
    expect(config.groups.get('gpt-4.1')?.map((d) => d.provider)).toEqual(['openai', 'azure']);
    expect(config.groups.get('gpt-4o-mini')?.[0]?.rpm).toBe(600);
    expect(config.general.masterKey).not.toBeNull();
    expect(config.router.numRetries).toBe(1);
    expect(config.deployments.length).toBeGreaterThan(6);
  });

  it('compose stack: every os.environ/ variable of the config reaches the services that need it', () => {
    const referenced = new Set([...read('infra/config/switchyard.yaml').matchAll(/:\s*os\.environ\/([A-Z0-9_]+)/g)].map((m) => m[1]));
    expect(referenced.size).toBeGreaterThan(3);
    for (const name of referenced) {
      if (name === undefined) continue;
      expect(service('upstream-caller').environment, name).toHaveProperty(name);
    }
    // master_key must resolve in every service that loads the config.
    for (const name of ['ingress', 'limiter', 'upstream-caller']) {
      expect(service(name).environment, name).toHaveProperty('SWITCHYARD_MASTER_KEY');
    }
  });

  it('compose stack: provider keys are given to the upstream-caller only', () => {
    for (const [name, s] of Object.entries(services)) {
      const keys = Object.keys(s.environment ?? {}).filter((key) => /_API_(KEY|BASE|VERSION)$/.test(key));
      if (name === 'upstream-caller') expect(keys).toContain('OPENAI_API_KEY');
      else expect(keys, name).toEqual([]);
    }
  });

  it('compose stack: every variable the compose file reads is documented in infra/.env.example', () => {
    const text = readFileSync(COMPOSE_PATH ?? '', 'utf8');
    const used = new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
    const documented = new Set([...read('infra/.env.example').matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    expect([...used].filter((name) => !documented.has(name))).toEqual([]);
  });

  it('compose stack: the image builds the workspace and runs as a non-root user', () => {
    const dockerfile = read('infra/Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:22|ARG NODE_IMAGE=node:22/m);
    expect(dockerfile).toContain('pnpm install --frozen-lockfile');
    expect(dockerfile).toContain('pnpm build');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toContain('CMD ["node", "services/ingress/dist/main.js"]');
    const ignored = read('.dockerignore').split('\n');
    for (const pattern of ['**/node_modules', '**/dist', '.git', '.env']) expect(ignored).toContain(pattern);
  });
});
