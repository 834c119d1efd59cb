import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import type { GatewayConfig } from '@switchyard/config';
import { Endpoint, ENDPOINTS, Errors, MASTER_CALLER } from '@switchyard/contracts';
import { readiness, type Logger, type ReadinessCheck, type Registry } from '@switchyard/telemetry';
import { registerFeedbackRoutes, type FeedbackDeps } from './adaptive/feedback-route.js';
import { registerAdminRoutes, type KeysClient } from './admin/index.js';
import { createCallerAuthenticator, type Authenticated } from './virtual-keys/authenticate.js';
import type { KeyRecords } from './virtual-keys/key-records.js';
import type { Dispatcher } from './dispatch.js';
import { errorHandler, sendError } from './errors.js';
import { needsEncoding, safeHeaders } from './header-values.js';
import { exceedsJsonDepth } from './json-depth.js';
import { createIngressMetrics } from './metrics.js';
import { registerMessagesRoutes } from './messages-route.js';
import { registerStoredResponseRoutes } from './responses-route.js';
import type { StoredResponses } from './stored-responses.js';
import { registerModelRoutes } from './models-routes.js';
import { registerHealthRoutes, type DeploymentHealthSource } from './health-routes.js';
import type { LedgerClient } from './admin/ledger-client.js';
import { registerSpendRoutes } from './admin/spend-routes.js';
import { createProxyHandler, type ParsedBody, type ProxyDeps } from './proxy.js';
import { clientRequestIdFrom, newRequestId, requestIdHeaders } from './request-id.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Hash of the caller's key, or null when no master key is configured. */
    callerId: string | null;
    /** The client's own x-request-id, when safe: echoed and audited, never a key (request.id is the gateway's). */
    clientRequestId: string | null;
    /** Who the caller is: the master key, a virtual key (its records, limits, budgets), or nobody (open auth). */
    auth: Authenticated;
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
  /** POST /v1/feedback, when the config has adaptive routers. */
  feedback?: FeedbackDeps | null;
  /** Caller identity from the Authorization header, for tests; default: the master key, then virtual keys. */
  authenticate?: ((authorization: string | undefined) => string | null) | undefined;
  /** Where `GET /health/deployments` reads the cooldowns (the limiters); null in tests without a bus. */
  deploymentHealth?: DeploymentHealthSource | null;
  /** Responses stored at OpenAI/Azure deployments (GET/DELETE /v1/responses/{id}, previous_response_id); null without a bus. */
  storedResponses?: StoredResponses | null;
  /** The virtual key and team records this replica holds (KV watch); null: only the master key authenticates. */
  keyRecords?: KeyRecords | null;
  /** The keys service, for the management API (/key/*, /team/*). */
  keysClient?: KeysClient | null;
  /** The spend ledger (over NATS), for `/spend/logs` and `/global/spend/report`; null in tests without a bus. */
  ledger?: LedgerClient | null;
}

/** The OpenAI routes; the endpoints answering in Anthropic's dialect have their own scope (messages-route.ts). */
const ROUTES: Array<{ path: string; endpoint: Endpoint }> = Endpoint.options
  .filter((endpoint) => ENDPOINTS[endpoint].errorDialect === 'openai')
  .map((endpoint) => ({ path: ENDPOINTS[endpoint].path, endpoint }));

const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Invalid UTF-8 is refused, not silently replaced: the provider must see what the client meant. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Extra idle time a client socket is allowed beyond the longest call the gateway may wait for. */
const IDLE_MARGIN_MS = 30_000;

/**
 * A socket silent both ways must outlive the longest call: a non-streamed
 * request waits for its whole response without a byte on the wire.
 */
function connectionIdleTimeoutMs(config: GatewayConfig): number {
  if (config.general.http.connectionIdleTimeoutMs !== null) return config.general.http.connectionIdleTimeoutMs;
  const longest = Math.max(0, ...config.deployments.map((deployment) => Math.max(deployment.timeoutMs, deployment.streamTimeoutMs)));
  return longest * (1 + config.router.numRetries) + IDLE_MARGIN_MS;
}

/** Said once at start and on /readyz: with no master key, anyone who reaches the port spends the providers' money. */
export const OPEN_AUTH_WARNING =
  'no general_settings.master_key is set: the gateway serves every caller without authentication';

/** Builds the ingress HTTP app; never listens (server.ts does), so tests `inject` into it. */
export function buildIngressApp(deps: IngressAppDeps): FastifyInstance {
  const { config } = deps;
  const limits = config.general.http;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // The proxy writes one audit line per request itself; fastify's two per request would double the volume.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.general.maxRequestBodyBytes,
    requestIdHeader: false,
    genReqId: () => newRequestId(),
    // While closing, requests still arriving on kept-alive connections get our own OpenAI-shaped 503 (onRequest below).
    return503OnClosing: false,
    // A client that trickles its head or body in (1 byte/s) gets a 408 and loses the socket; node checks
    // its connections every connectionsCheckingInterval, so that is kept well below the timeouts.
    requestTimeout: limits.bodyTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: connectionIdleTimeoutMs(config),
    http: {
      headersTimeout: limits.headersTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
    },
  });
  const customAuthenticate = deps.authenticate;
  const authenticateCaller = createCallerAuthenticator(config.general.masterKey, deps.keyRecords ?? null);
  const metrics = createIngressMetrics(deps.registry);
  const startedAt = Math.floor(Date.now() / 1000);

  app.decorateRequest('callerId', null);
  app.decorateRequest('clientRequestId', null);
  app.decorateRequest('auth', null as unknown as Authenticated);
  // Only JSON bodies: a text/plain body (what fetch sends for a bare string) is a 415, not a confusing 400.
  app.removeAllContentTypeParsers();
  const maxDepth = config.general.maxJsonDepth;
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, raw, done) => {
    // Length is already bounded by bodyLimit (huge strings and arrays); depth is bounded here.
    if (exceedsJsonDepth(raw as Buffer, maxDepth)) {
      done(Errors.invalidRequest(`The JSON body nests objects or arrays deeper than ${maxDepth} levels.`, null, 'json_too_deep'));
      return;
    }
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
    request.clientRequestId = clientRequestIdFrom(request.headers['x-request-id']);
    void reply.headers(requestIdHeaders(request));
    if (OPS_PATHS.has(request.url.split('?')[0]!)) return;
    if (deps.isShuttingDown()) {
      reply.header('connection', 'close');
      throw Errors.unavailable('This gateway replica is shutting down and took no new work; send the request again.', 'shutting_down');
    }
    if (customAuthenticate) {
      request.callerId = customAuthenticate(request.headers.authorization);
      request.auth = { callerId: request.callerId, caller: MASTER_CALLER, isMaster: false, key: null, team: null };
      return;
    }
    request.auth = authenticateCaller(request.headers.authorization, request.headers['x-api-key']);
    request.callerId = request.auth.callerId;
  });

  app.addHook('onSend', async (_request, reply) => {
    // A response finished while draining tells the client not to reuse its connection.
    if (deps.isShuttingDown()) reply.header('connection', 'close');
    // Names from the config (deployment ids, router picks) may be any Unicode: see header-values.ts.
    const headers = reply.getHeaders();
    if (needsEncoding(headers)) reply.headers(safeHeaders(headers));
  });

  const storedResponses = deps.storedResponses ?? null;
  const proxyDeps: ProxyDeps = { config, dispatcher: deps.dispatcher, logger: deps.logger, metrics, adaptive: deps.adaptive, storedResponses };
  for (const prefix of ['/v1', '']) {
    for (const { path, endpoint } of ROUTES) app.post(`${prefix}${path}`, createProxyHandler(endpoint, proxyDeps));
  }
  registerMessagesRoutes(app, config, createProxyHandler('messages', proxyDeps));
  registerStoredResponseRoutes(app, { config, stored: storedResponses, logger: deps.logger, metrics });
  registerModelRoutes(app, config, startedAt);
  registerAdminRoutes(app, { client: deps.keysClient ?? null, masterKey: config.general.masterKey, ledger: deps.ledger ?? null });
  registerHealthRoutes(app, config, deps.deploymentHealth ?? null);
  registerSpendRoutes(app, deps.ledger ?? null);

  registerFeedbackRoutes(app, deps.feedback ?? null);
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
    const auth = config.general.masterKey === null ? { auth: 'open', warnings: [OPEN_AUTH_WARNING] } : { auth: 'master_key' };
    return reply.code(ready ? 200 : 503).send({ ...body, ...auth });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', deps.registry.contentType).send(await deps.registry.metrics()),
  );
  return app;
}
