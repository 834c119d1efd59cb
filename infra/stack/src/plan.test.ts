import { describe, expect, it } from 'vitest';
import { StackError } from './errors.js';
import { connectHost, ingressUrl, planReplicas } from './plan.js';

describe('stack plan', () => {
  it('stack plan: one replica of each service by default, on the base port ranges', () => {
    expect(planReplicas({})).toEqual([
      { service: 'ingress', index: 0, name: 'ingress-0', port: 4000 },
      { service: 'limiter', index: 0, name: 'limiter-0', port: 4100 },
      { service: 'upstream-caller', index: 0, name: 'upstream-caller-0', port: 4200 },
      { service: 'learner', index: 0, name: 'learner-0', port: 4300 },
      { service: 'keys', index: 0, name: 'keys-0', port: 4400 },
      { service: 'ledger', index: 0, name: 'ledger-0', port: 4500 },
    ]);
  });

  it('stack plan: replicas take consecutive ports in their service range', () => {
    const plan = planReplicas({ scale: { ingress: 3, limiter: 2, learner: 0, keys: 0, ledger: 0 }, port: 5000 });
    expect(plan.map((replica) => `${replica.name}:${replica.port}`)).toEqual([
      'ingress-0:5000',
      'ingress-1:5001',
      'ingress-2:5002',
      'limiter-0:5100',
      'limiter-1:5101',
      'upstream-caller-0:5200',
    ]);
  });

  it('stack plan: ports never collide, even at the largest scale', () => {
    const plan = planReplicas({ scale: { ingress: 100, limiter: 100, 'upstream-caller': 100, learner: 100, keys: 100, ledger: 100 } });
    expect(new Set(plan.map((replica) => replica.port)).size).toBe(600);
  });

  it('stack plan: impossible plans are refused with a reason', () => {
    expect(() => planReplicas({ scale: { ingress: 0, limiter: 0, 'upstream-caller': 0, learner: 0, keys: 0, ledger: 0 } })).toThrow(
      new StackError('nothing to start: every service is scaled to 0'),
    );
    expect(() => planReplicas({ port: 65100 })).toThrow('ledger-0 would need port 65600: choose a lower base port');
    expect(() => planReplicas({ scale: { ingress: 101 } })).toThrow('ingress: 101 is not a replica count (0-100)');
    expect(() => planReplicas({ scale: { limiter: 1.5 } })).toThrow(StackError);
    expect(() => planReplicas({ port: 0 })).toThrow('port 0 is not a port number');
  });

  it('stack plan: ingress URLs are the OpenAI base URLs, on loopback unless HOST names one address', () => {
    expect(ingressUrl(4001)).toBe('http://127.0.0.1:4001/v1');
    for (const wildcard of [undefined, '', '0.0.0.0', '::']) expect(connectHost(wildcard)).toBe('127.0.0.1');
    expect(connectHost('10.0.0.5')).toBe('10.0.0.5');
    expect(connectHost('::1')).toBe('[::1]');
    expect(ingressUrl(4000, connectHost('::1'))).toBe('http://[::1]:4000/v1');
  });
});
