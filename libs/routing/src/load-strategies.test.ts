import { describe, expect, it } from 'vitest';
import type { Deployment } from '@switchyard/config';
import { costOrder, latencyOrder, leastBusyOrder, orderForStrategy, tokenPriceOf, usageBasedOrder, type LoadSnapshot } from './load-strategies.js';
import { seededRandom } from './simple-shuffle.js';

function deployment(id: string, limits: Partial<Pick<Deployment, 'rpm' | 'tpm'>> = {}): Deployment {
  return { id, modelName: 'g', provider: 'openai', providerModel: id, rpm: null, tpm: null, ...limits } as Deployment;
}

const a = deployment('a', { tpm: 1000, rpm: 10 });
const b = deployment('b', { tpm: 1000, rpm: 10 });
const c = deployment('c', { tpm: 1000, rpm: 10 });
const snapshot: LoadSnapshot = new Map([
  ['a', { inFlight: 5, requestsThisMinute: 9, tokensThisMinute: 100 }],
  ['b', { inFlight: 1, requestsThisMinute: 3, tokensThisMinute: 900 }],
  ['c', { inFlight: 3, requestsThisMinute: 10, tokensThisMinute: 10 }],
]);

describe('routing: load-aware strategies', () => {
  it('routing: least-busy puts the fewest requests in flight first', () => {
    expect(leastBusyOrder([a, b, c], snapshot, seededRandom(1)).map((d) => d.id)).toEqual(['b', 'c', 'a']);
  });

  it('routing: least-busy breaks ties at random, so idle deployments share the traffic', () => {
    const firsts = new Set<string>();
    const random = seededRandom(7);
    for (let i = 0; i < 50; i++) firsts.add(leastBusyOrder([a, b, c], new Map(), random)[0]!.id);
    expect(firsts).toEqual(new Set(['a', 'b', 'c']));
  });

  it('routing: usage-based skips deployments the request would push over rpm or tpm, least tokens first', () => {
    const order = usageBasedOrder([a, b, c], snapshot, 200, seededRandom(1));
    // c is at its rpm, b would pass its tpm with 200 more tokens.
    expect(order.candidates.map((d) => d.id)).toEqual(['a']);
    expect(order.overLimit.map((d) => d.id)).toEqual(['b', 'c']);
    expect(usageBasedOrder([a, b], snapshot, 50, seededRandom(1)).candidates.map((d) => d.id)).toEqual(['a', 'b']);
  });

  it('routing: a deployment without limits is never over them; one missing from the snapshot is idle', () => {
    const free = deployment('free');
    expect(usageBasedOrder([free, a], snapshot, 10_000, seededRandom(1))).toEqual({ candidates: [free], overLimit: [a] });
  });

  it('routing: orderForStrategy runs each strategy; over-limit deployments of usage-based go last', () => {
    expect(orderForStrategy('least-busy', [a, b, c], snapshot, 0, seededRandom(1))[0]?.id).toBe('b');
    expect(orderForStrategy('usage-based-routing-v2', [a, b, c], snapshot, 200, seededRandom(1)).map((d) => d.id)).toEqual(['a', 'b', 'c']);
    expect(orderForStrategy('simple-shuffle', [a, b, c], snapshot, 0, seededRandom(1))).toHaveLength(3);
  });

  it('routing: latency-based puts the lowest average first; no recent latency counts as 0', () => {
    const timed: LoadSnapshot = new Map([
      ['a', { inFlight: 0, requestsThisMinute: 0, tokensThisMinute: 0, latencyMs: 900 }],
      ['b', { inFlight: 0, requestsThisMinute: 0, tokensThisMinute: 0, latencyMs: 100 }],
      ['c', { inFlight: 0, requestsThisMinute: 0, tokensThisMinute: 0, latencyMs: 400 }],
    ]);
    expect(latencyOrder([a, b, c], timed, { lowestLatencyBuffer: 0 }, seededRandom(1)).map((d) => d.id)).toEqual(['b', 'c', 'a']);
    expect(latencyOrder([a, b, c], new Map([['a', { inFlight: 0, requestsThisMinute: 0, tokensThisMinute: 0, latencyMs: 50 }]]), undefined, seededRandom(1))[0]?.id).not.toBe('a');
  });

  it('routing: latency-based shares traffic among deployments within lowest_latency_buffer of the lowest', () => {
    const timed: LoadSnapshot = new Map([
      ['a', { inFlight: 0, requestsThisMinute: 0, tokensThisMinute: 0, latencyMs: 110 }],
      ['b', { inFlight: 0, requestsThisMinute: 0, tokensThisMinute: 0, latencyMs: 100 }],
      ['c', { inFlight: 0, requestsThisMinute: 0, tokensThisMinute: 0, latencyMs: 1000 }],
    ]);
    const firsts = new Set<string>();
    const random = seededRandom(3);
    for (let i = 0; i < 40; i++) firsts.add(latencyOrder([a, b, c], timed, { lowestLatencyBuffer: 0.5 }, random)[0]!.id);
    expect(firsts).toEqual(new Set(['a', 'b']));
    expect(latencyOrder([a, b, c], timed, { lowestLatencyBuffer: 0.5 }, random)[2]?.id).toBe('c');
  });

  it('routing: cost-based puts the cheapest input+output token price first', () => {
    const priced = (id: string, input: number | null, output: number | null, info: Record<string, unknown> = {}): Deployment =>
      ({ ...deployment(id), inputCostPerToken: input, outputCostPerToken: output, modelInfo: info }) as Deployment;
    const dear = priced('dear', 0.00001, 0.00003);
    const cheap = priced('cheap', 0.000001, 0.000002);
    const fromInfo = priced('info', null, null, { input_cost_per_token: 0.000002, output_cost_per_token: 0.000004 });
    expect(tokenPriceOf(fromInfo)).toBeCloseTo(0.000006);
    expect(costOrder([dear, fromInfo, cheap], seededRandom(1)).map((d) => d.id)).toEqual(['cheap', 'info', 'dear']);
  });
});
