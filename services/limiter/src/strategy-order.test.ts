import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '@switchyard/config';
import type { CallEnvelope } from '@switchyard/contracts';
import { seededRandom } from '@switchyard/routing';
import { admit } from './admission.js';
import type { AdmitRequest, ClusterLimiter } from './cluster-limiter.js';
import { orderCandidates, strategySettingsOf, tracksAllUsage } from './strategy-order.js';

function configWith(routerSettings: string) {
  return parseGatewayConfig(
    `model_list:
  - model_name: g
    litellm_params: { model: mock/x, input_cost_per_token: 0.00001 }
    model_info: { id: pricey }
  - model_name: g
    litellm_params: { model: mock/y, input_cost_per_token: 0.000001 }
    model_info: { id: thrifty }
router_settings: ${routerSettings}
`,
    { source: '<test>', env: {} },
  );
}

function envelope(overrides: Partial<CallEnvelope> = {}): CallEnvelope {
  return {
    v: 1, requestId: 'r', clientRequestId: null, endpoint: 'chat.completions', requestedModel: 'g', modelGroup: 'g',
    deploymentId: 'pricey', candidates: ['pricey', 'thrifty'], attempt: 1, stream: false, clientWantsUsage: false, estimatedPromptTokens: 20,
    maxCompletionTokens: null, choices: 1, timeoutMs: 1000, callerId: null, bodyRef: null, reservation: null, admissionHeaders: {},
    ...overrides,
  } as CallEnvelope;
}

describe('limiter: candidates in the routing strategy order', () => {
  it('limiter: routing_strategy_args ttl and lowest_latency_buffer are read; bad values fall back to the defaults', () => {
    expect(strategySettingsOf(configWith('{ routing_strategy: latency-based-routing, routing_strategy_args: { ttl: 5, lowest_latency_buffer: 0.2 } }').router)).toEqual({
      strategy: 'latency-based-routing', latency: { lowestLatencyBuffer: 0.2 }, latencyTtlMs: 5000,
    });
    expect(strategySettingsOf(configWith('{ routing_strategy: latency-based-routing, routing_strategy_args: { ttl: -1, lowest_latency_buffer: lots } }').router)).toMatchObject({
      latency: { lowestLatencyBuffer: 0 }, latencyTtlMs: 3_600_000,
    });
  });

  it('limiter: cost-based puts the cheapest candidate first and chooses it; simple-shuffle keeps the ingress order', () => {
    const cost = configWith('{ routing_strategy: cost-based-routing }');
    const deployments = new Map(cost.deployments.map((d) => [d.id, d]));
    const ordered = orderCandidates(envelope(), strategySettingsOf(cost.router), deployments, new Map(), cost, seededRandom(1));
    expect(ordered).toMatchObject({ deploymentId: 'thrifty', candidates: ['thrifty', 'pricey'] });
    const shuffle = configWith('{}');
    expect(orderCandidates(envelope(), strategySettingsOf(shuffle.router), deployments, new Map(), shuffle)).toMatchObject({ deploymentId: 'pricey', candidates: ['pricey', 'thrifty'] });
  });

  it('limiter: least-busy orders by the in-flight counts of the snapshot; unknown candidates stay last', () => {
    const busy = configWith('{ routing_strategy: least-busy }');
    const deployments = new Map(busy.deployments.map((d) => [d.id, d]));
    const snapshot = new Map([
      ['pricey', { inFlight: 4, requestsThisMinute: 0, tokensThisMinute: 0 }],
      ['thrifty', { inFlight: 1, requestsThisMinute: 0, tokensThisMinute: 0 }],
    ]);
    const ordered = orderCandidates(envelope({ candidates: ['pricey', 'gone', 'thrifty'] }), strategySettingsOf(busy.router), deployments, snapshot, busy);
    expect(ordered.candidates).toEqual(['thrifty', 'pricey', 'gone']);
  });

  it('limiter: strategies that read usage count every admitted call, also on deployments without limits', async () => {
    expect(['least-busy', 'usage-based-routing', 'usage-based-routing-v2'].every(tracksAllUsage)).toBe(true);
    expect(tracksAllUsage('latency-based-routing') || tracksAllUsage('simple-shuffle')).toBe(false);
    const busy = configWith('{ routing_strategy: least-busy }');
    const deployments = new Map(busy.deployments.map((d) => [d.id, d]));
    const requests: AdmitRequest[] = [];
    const counting = {
      admit: async (request: AdmitRequest) => {
        requests.push(request);
        const reservation = { id: request.reservationId, deploymentId: request.deploymentId, scopes: ['dep:pricey'], tokens: request.tokens, bucket: 1, expiresAt: 2 };
        return { admitted: true, reservation, remainingRequests: null, remainingTokens: null, resetRequestsMs: 0, resetTokensMs: 0 };
      },
    } as unknown as ClusterLimiter;
    const tracked = await admit(envelope(), busy, deployments, counting, new Set(), true);
    expect(requests[0]?.scopes[0]).toMatchObject({ name: 'dep:pricey', maxParallel: null, trackInFlight: true });
    expect(tracked.kind === 'admitted' && tracked.envelope.reservation?.deploymentId).toBe('pricey');
    const untracked = await admit(envelope(), busy, deployments, counting, new Set(), false);
    expect(requests).toHaveLength(1);
    expect(untracked.kind === 'admitted' && untracked.envelope.reservation).toBeNull();
  });
});
