/**
 * Bounds a metric label's cardinality: the first `max` distinct values keep
 * their name, every later one is reported as `other`. Key aliases and teams
 * are created by users; a label per key without a bound would grow the
 * metrics endpoint (and Prometheus) without limit.
 */
export class LabelBudget {
  readonly #max: number;
  readonly #known = new Set<string>();

  constructor(max: number) {
    this.#max = max;
  }

  label(value: string | null | undefined): string {
    if (value === null || value === undefined || value === '') return 'none';
    if (this.#known.has(value)) return value;
    if (this.#known.size >= this.#max) return 'other';
    this.#known.add(value);
    return value;
  }
}
