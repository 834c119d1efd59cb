import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger, type LevelWithSilent, type LoggerOptions as PinoOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths redacted from every log line, whatever a caller passes in: a key that
 * slips into a logged object must still never reach the output.
 */
const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'headers["api-key"]',
  'apiKey',
  'api_key',
  'masterKey',
  'master_key',
  'password',
  '*.authorization',
  '*.apiKey',
  '*.api_key',
];

export interface LoggerOptions {
  service: string;
  level?: LevelWithSilent;
  instanceId?: string;
  /** Tests pass a stream to capture output. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = { service: options.service, instance: options.instanceId ?? `${hostname()}-${process.pid}` };
  const settings: PinoOptions = {
    level: options.level ?? 'info',
    base,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

export function instanceIdOf(explicit: string | undefined): string {
  return explicit ?? `${hostname()}-${process.pid}`;
}
