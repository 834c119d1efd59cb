import type { FastifyInstance } from 'fastify';
import type { NatsConnection } from 'nats';
import type { GatewayConfig } from '@switchyard/config';
import { DeploymentHealthReply, Errors, type BusNames } from '@switchyard/contracts';
import { decodeJson } from '@switchyard/bus';

/** How long the route waits for a limiter to read the cooldowns from Redis. */
const HEALTH_TIMEOUT_MS = 2_000;

export type DeploymentHealthSource = () => Promise<DeploymentHealthReply>;

/** Asks one limiter (queue group) for every deployment's cooldown state. */
export function limiterHealthSource(nc: NatsConnection, names: BusNames): DeploymentHealthSource {
  return async () => {
    const msg = await nc.request(names.subjects.deploymentHealth, new Uint8Array(0), { timeout: HEALTH_TIMEOUT_MS });
    return DeploymentHealthReply.parse(decodeJson(msg.data));
  };
}

/**
 * `GET /health/deployments`: each deployment's cooldown state and recent
 * failures, for the whole cluster (the limiter reads them from Redis). It
 * never calls a provider, unlike LiteLLM's `/health`, which calls every
 * model. Behind the master key like every non-ops route.
 */
export function registerHealthRoutes(app: FastifyInstance, config: GatewayConfig, source: DeploymentHealthSource | null): void {
  app.get('/health/deployments', async () => {
    if (!source) throw Errors.unavailable('Deployment health is not available on this ingress.', 'health_unavailable');
    let reply: DeploymentHealthReply;
    try {
      reply = await source();
    } catch {
      throw Errors.unavailable('No limiter answered with the deployments\' cooldown state.', 'no_limiter');
    }
    if (!reply.ok) throw Errors.unavailable(reply.message, 'limiter_unavailable');
    const states = new Map(reply.deployments.map((state) => [state.deploymentId, state]));
    return {
      cooldowns_enabled: !config.router.reliability.disableCooldowns,
      deployments: config.deployments.map((deployment) => {
        const state = states.get(deployment.id);
        return {
          model_id: deployment.id,
          model_group: deployment.modelName,
          provider: deployment.provider,
          cooling_down: state?.coolingDown ?? false,
          cooldown_remaining_ms: state?.cooldownRemainingMs ?? 0,
          failures_in_window: state?.failuresInWindow ?? 0,
          recent_failures: state?.recentFailures ?? [],
        };
      }),
    };
  });
}
