import { describe, expect, it } from 'vitest';
import { ArgsError, parseArgs } from './args.js';

const up = (...argv: string[]) => {
  const command = parseArgs(['up', ...argv]);
  if (command.command !== 'up') throw new Error(`expected up, got ${command.command}`);
  return command;
};
const failure = (argv: string[]): string => {
  try {
    parseArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(ArgsError);
    return (error as Error).message;
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) did not throw`);
};

describe('stack args', () => {
  it('stack args: up alone takes the defaults', () => {
    expect(parseArgs(['up'])).toEqual({ command: 'up', config: undefined, scale: {}, port: 4000 });
  });

  it('stack args: --help and -h win over everything else', () => {
    expect(parseArgs(['--help'])).toEqual({ command: 'help' });
    expect(parseArgs(['up', '--bogus', '-h'])).toEqual({ command: 'help' });
  });

  it('stack args: --config and --port, with a space or =', () => {
    expect(up('--config', 'gw.yaml', '--port', '5000')).toMatchObject({ config: 'gw.yaml', port: 5000 });
    expect(up('--config=gw.yaml', '--port=5000')).toMatchObject({ config: 'gw.yaml', port: 5000 });
    expect(parseArgs(['--port', '5000', 'up'])).toMatchObject({ command: 'up', port: 5000 });
  });

  it('stack args: --scale takes comma-separated entries', () => {
    expect(up('--scale', 'ingress=2,limiter=3,upstream-caller=0,learner=1').scale).toEqual({
      ingress: 2,
      limiter: 3,
      'upstream-caller': 0,
      learner: 1,
    });
  });

  it('stack args: --scale can be repeated, and mixed with commas', () => {
    expect(up('--scale', 'ingress=2', '--scale=learner=1', '--scale', 'limiter=2, upstream-caller=4').scale).toEqual({
      ingress: 2,
      learner: 1,
      limiter: 2,
      'upstream-caller': 4,
    });
  });

  it('stack args: a separator passed through by pnpm is ignored', () => {
    expect(parseArgs(['--', 'up', '--scale', 'ingress=2'])).toMatchObject({ command: 'up', scale: { ingress: 2 } });
  });

  it('stack args: bad command lines say what is wrong', () => {
    expect(failure([])).toBe('missing command (expected: up)');
    expect(failure(['down'])).toBe('unknown command "down" (expected: up)');
    expect(failure(['up', 'now'])).toBe('unexpected argument "now"');
    expect(failure(['up', '--verbose'])).toBe('unknown option --verbose');
    expect(failure(['up', '--config'])).toBe('--config needs a value');
    expect(failure(['up', '--config', '--port', '1'])).toBe('--config needs a value');
    expect(failure(['up', '--config='])).toBe('--config needs a file path');
    expect(failure(['up', '--config', 'a', '--config', 'b'])).toBe('--config given twice');
  });

  it('stack args: bad ports are refused', () => {
    expect(failure(['up', '--port', 'http'])).toBe('--port: "http" is not a port number (1-65535)');
    expect(failure(['up', '--port', '0'])).toContain('is not a port number');
    expect(failure(['up', '--port', '65536'])).toContain('is not a port number');
    expect(failure(['up', '--port', '-1'])).toContain('"-1" is not a port number');
    expect(failure(['up', '--port', '4000.5'])).toContain('is not a port number');
    expect(failure(['up', '--port', '1', '--port', '2'])).toBe('--port given twice');
  });

  it('stack args: bad --scale entries name the entry and the services', () => {
    expect(failure(['up', '--scale', 'router=2'])).toBe(
      '--scale: unknown service "router" (services: ingress, limiter, upstream-caller, learner, keys, ledger)',
    );
    expect(failure(['up', '--scale', 'ingress'])).toBe('--scale: "ingress" is not SERVICE=N');
    expect(failure(['up', '--scale', 'ingress=2,'])).toBe('--scale: "" is not SERVICE=N');
    expect(failure(['up', '--scale', 'ingress=two'])).toBe('--scale: ingress=two is not a replica count (0-100)');
    expect(failure(['up', '--scale', 'ingress=-1'])).toContain('is not a replica count');
    expect(failure(['up', '--scale', 'ingress=101'])).toBe('--scale: ingress=101 is not a replica count (0-100)');
    expect(failure(['up', '--scale', 'ingress=1,ingress=2'])).toBe('--scale: ingress given twice');
    expect(failure(['up', '--scale', 'ingress=1', '--scale', 'ingress=2'])).toBe('--scale: ingress given twice');
  });
});
