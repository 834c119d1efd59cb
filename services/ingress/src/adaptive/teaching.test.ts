import { describe, expect, it } from 'vitest';
import type { AdaptiveRouterSettings, TeachingPolicy } from '@switchyard/config';
import { teachingOf } from './adaptive-routing.js';

function router(teaching: Partial<TeachingPolicy> = {}): AdaptiveRouterSettings {
  return {
    name: 'smart',
    models: [],
    weights: { quality: 0.7, cost: 0.3 },
    explorationRate: 1,
    objective: { kind: 'weighted' },
    teaching: { keys: 'all', maxEvidencePerKey: 25, windowSeconds: 3600, constrainedPickWeight: 0, explicitFeedbackWeight: 3, ...teaching },
  };
}

describe('routing: who may teach a router', () => {
  it.each([
    { keys: 'all' as const, caller: 'key_a', weight: 1 },
    { keys: 'none' as const, caller: 'key_a', weight: 0 },
    { keys: ['key_a'], caller: 'key_a', weight: 1 },
    { keys: ['key_a'], caller: 'key_b', weight: 0 },
    { keys: ['anonymous'], caller: null, weight: 1 },
    { keys: ['key_a'], caller: null, weight: 0 },
  ])('routing: keys $keys, caller $caller teaches with weight $weight', ({ keys, caller, weight }) => {
    expect(teachingOf(router({ keys }), caller, false)).toMatchObject({ teacher: caller ?? 'anonymous', weight });
  });

  it('routing: a session pinned with a minimum tier teaches with the constrained weight, never more than an allowed key', () => {
    expect(teachingOf(router(), 'key_a', true).weight).toBe(0);
    expect(teachingOf(router({ constrainedPickWeight: 0.25 }), 'key_a', true).weight).toBe(0.25);
    expect(teachingOf(router({ keys: 'none', constrainedPickWeight: 0.25 }), 'key_a', true).weight).toBe(0);
  });

  it('routing: the cap travels with the turn, or none', () => {
    expect(teachingOf(router(), 'key_a', false).evidenceCap).toEqual({ perTeacher: 25, windowSeconds: 3600 });
    expect(teachingOf(router({ maxEvidencePerKey: null }), 'key_a', false).evidenceCap).toBeNull();
  });
});
