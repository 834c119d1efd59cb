import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import type { GatewayConfig } from '@switchyard/config';
import { Errors, type Endpoint } from '@switchyard/contracts';
import { readiness, type Logger, type ReadinessCheck, type Registry } from '@switchyard/telemetry';
import { createAuthenticator } from './auth.js';
import type { Dispatcher } from './dispatch.js';
import { errorHandler, sendError } from './errors.js';
import { createIngressMetrics } from './metrics.js';
import { registerModelRoutes } from './models-routes.js';
import { registerHealthRoutes, type DeploymentHealthSource } from './health-routes.js';
import { createProxyHandler, type ParsedBody, type ProxyDeps } from './proxy.js';
import { requestIdFrom } from './request-id.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Hash of the caller's key, or null when no master key is configured. */
    callerId: string | null;
  }
}

export interface IngressAppDeps {
  config: GatewayConfig;
  dispatcher: Dispatcher;
  adaptive: ProxyDeps['adaptive'];
  logger: Logger;
  registry: Registry;
  checks: ReadinessCheck[];
  isShuttingDown: () => boolean;
  /** Where `GET /health/deployments` reads the cooldowns (the limiters); null in tests without a bus. */
  deploymentHealth?: DeploymentHealthSource | null;
}

const ROUTES: Array<{ path: string; endpoint: Endpoint }> = [
  { path: '/chat/completions', endpoint: 'chat.completions' },
  { path: '/completions', endpoint: 'completions' },
  { path: '/embeddings', endpoint: 'embeddings' },
];

const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Invalid UTF-8 is refused, not silently replaced: the provider must see what the client meant. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Builds the ingress HTTP app; never listens (server.ts does), so tests `inject` into it. */
export function buildIngressApp(deps: IngressAppDeps): FastifyInstance {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // The proxy writes one audit line per request itself; fastify's two per request would double the volume.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.general.maxRequestBodyBytes,
    requestIdHeader: false,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    // While closing, requests still arriving on kept-alive connections get our own OpenAI-shaped 503 (onRequest below).
    return503OnClosing: false,
  });
  const authenticate = createAuthenticator(config.general.masterKey);
  const metrics = createIngressMetrics(deps.registry);
  const startedAt = Math.floor(Date.now() / 1000);

  app.decorateRequest('callerId', null);
  // Only JSON bodies: a text/plain body (what fetch sends for a bare string) is a 415, not a confusing 400.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, raw, done) => {
    let text: string;
    try {
      text = STRICT_UTF8.decode(raw as Buffer);
    } catch {
      done(Errors.invalidRequest('The request body is not valid UTF-8.', null, 'invalid_json'));
      return;
    }
    try {
      // secure-json-parse rejects __proto__ / constructor.prototype keys: no prototype pollution.
      const json: unknown = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
      done(null, { raw: raw as Buffer, json } satisfies ParsedBody);
    } catch (error) {
      const message = error instanceof Error ? error.message : 'invalid JSON';
      done(Errors.invalidRequest(`We could not parse the JSON body of your request: ${message}`, null, 'invalid_json'));
    }
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => sendError(reply, Errors.notFound(`Unknown endpoint: ${request.method} ${request.url.split('?')[0]}`)));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (OPS_PATHS.has(request.url.split('?')[0]!)) return;
    if (deps.isShuttingDown()) {
      reply.header('connection', 'close');
      throw Errors.unavailable('This gateway replica is shutting down and took no new work; send the request again.', 'shutting_down');
    }
    request.callerId = authenticate(request.headers.authorization);
  });

  // A response finished while draining tells the client not to reuse its connection.
  app.addHook('onSend', async (_request, reply) => {
    if (deps.isShuttingDown()) reply.header('connection', 'close');
  });

  for (const prefix of ['/v1', '']) {
    for (const { path, endpoint } of ROUTES) {
      app.post(
        `${prefix}${path}`,
        createProxyHandler(endpoint, { config, dispatcher: deps.dispatcher, logger: deps.logger, metrics, adaptive: deps.adaptive }),
      );
    }
  }
  registerModelRoutes(app, config, startedAt);
  registerHealthRoutes(app, config, deps.deploymentHealth ?? null);

  // The adaptive routers' learned state (the LiteLLM path too).
  for (const path of ['/routers/:name/state', '/adaptive_router/:name/state']) {
    app.get<{ Params: { name: string } }>(path, async (request) => {
      const routing = deps.adaptive?.routing;
      if (!routing?.has(request.params.name)) throw Errors.notFound(`No adaptive router is named "${request.params.name}".`);
      return routing.state(request.params.name);
    });
  }

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const { ready, body } = await readiness(deps.checks, deps.isShuttingDown());
    return reply.code(ready ? 200 : 503).send(body);
  });
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', deps.registry.contentType).send(await deps.registry.metrics()),
  );
  return app;
}
