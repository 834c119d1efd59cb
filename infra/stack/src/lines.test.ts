import { describe, expect, it } from 'vitest';
import { createLineSplitter, Tail } from './lines.js';

describe('stack lines', () => {
  it('stack lines: chunks split anywhere come out as whole lines', () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    splitter.push('{"a":');
    splitter.push('1}\n{"b":2}\r\n\nlast');
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '']);
    splitter.end();
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '', 'last']);
  });

  it('stack lines: end() after a final newline adds nothing', () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    splitter.push('one\n');
    splitter.end();
    expect(lines).toEqual(['one']);
  });

  it('stack lines: the tail keeps the last lines only', () => {
    const tail = new Tail(2);
    for (const line of ['a', 'b', 'c']) tail.add(line);
    expect(tail.lines()).toEqual(['b', 'c']);
  });
});
