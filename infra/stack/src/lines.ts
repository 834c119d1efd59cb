/** Longest partial line kept while waiting for its newline; past it the text is emitted as a line. */
const MAX_PENDING_CHARS = 1 << 20;

export interface LineSplitter {
  push(chunk: string): void;
  /** Emits the last line when the stream ended without a newline. */
  end(): void;
}

/** Text chunks (already decoded) -> whole lines, without their `\n` or `\r\n`. */
export function createLineSplitter(onLine: (line: string) => void): LineSplitter {
  let pending = '';
  const emit = (line: string): void => onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  return {
    push(chunk) {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        emit(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
      if (pending.length > MAX_PENDING_CHARS) {
        emit(pending);
        pending = '';
      }
    },
    end() {
      if (pending !== '') emit(pending);
      pending = '';
    },
  };
}

/** The last `size` lines seen, for error messages about a replica that died. */
export class Tail {
  readonly #lines: string[] = [];
  constructor(readonly size: number) {}

  add(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.size) this.#lines.shift();
  }

  lines(): string[] {
    return [...this.#lines];
  }
}
