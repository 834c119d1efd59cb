import { describe, expect, it } from 'vitest';
import { applyParamMap } from './param-map.js';

describe('providers: param map', () => {
  it('providers: renames, clamps, transforms, defaults and drops what has no rule', () => {
    const out = applyParamMap(
      { temperature: 1.7, stop: 'END', user: 'u1', seed: 7, top_p: null },
      {
        temperature: { max: 1 },
        stop: { to: 'stop_sequences', transform: (value) => ({ stop_sequences: [value] }) },
        user: { to: 'user_id' },
        top_p: {},
      },
      [{ field: 'max_tokens', value: () => 4096 }],
    );
    expect(out).toEqual({ temperature: 1, stop_sequences: ['END'], user_id: 'u1', max_tokens: 4096 });
  });

  it('providers: a default does not replace a mapped value', () => {
    expect(applyParamMap({ max_tokens: 5 }, { max_tokens: {} }, [{ field: 'max_tokens', value: () => 4096 }])).toEqual({ max_tokens: 5 });
  });
});
