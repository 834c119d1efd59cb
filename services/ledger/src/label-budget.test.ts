import { describe, expect, it } from 'vitest';
import { LabelBudget } from './label-budget.js';

describe('ledger: bounded metric labels', () => {
  it('ledger: names the first values, then reports the rest as other', () => {
    const labels = new LabelBudget(2);
    expect(labels.label('alpha')).toBe('alpha');
    expect(labels.label('beta')).toBe('beta');
    expect(labels.label('gamma')).toBe('other');
    // A value named once keeps its name.
    expect(labels.label('alpha')).toBe('alpha');
    expect(labels.label(null)).toBe('none');
    expect(labels.label('')).toBe('none');
  });
});
