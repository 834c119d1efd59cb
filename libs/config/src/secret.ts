import { inspect } from 'node:util';

/**
 * A value that must never reach a log, a trace, an error body or the bus.
 * It prints as `[secret]` however it is serialised; `reveal()` is the one way
 * to read it, so every use of a secret is greppable.
 */
export class Secret {
  readonly #value: string;
  /** Where the value came from (`os.environ/NAME` or `inline`), safe to print. */
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return `[secret from ${this.source}]`;
  }
}
