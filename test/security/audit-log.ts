import { createLogger, type Logger } from '@switchyard/telemetry';

/** One ingress audit line (one per client request), as the security tests read it. */
export interface AuditLine {
  audit: true;
  requestId: string;
  clientRequestId: string | null;
  status: number;
  outcome: string;
  providerCalls: number;
}

export interface CapturedLogs {
  /** Give this to the stack: every replica logs through it. */
  logger: Logger;
  audit(): AuditLine[];
  /** Resolves with the first audit line `match` accepts, as soon as it is written; rejects after `timeoutMs`. */
  waitForAudit(match: (line: AuditLine) => boolean, timeoutMs?: number): Promise<AuditLine>;
}

/** Captures the JSON log lines of an in-process stack, so tests read the audit lines an operator would. */
export function captureLogs(): CapturedLogs {
  const lines: AuditLine[] = [];
  let waiters: Array<{ match: (line: AuditLine) => boolean; resolve: (line: AuditLine) => void }> = [];
  const logger = createLogger({
    service: 'test',
    level: 'info',
    destination: {
      write(text: string) {
        if (process.env.TEST_LOG_LEVEL) process.stderr.write(text);
        if (!text.includes('"audit":true')) return;
        const line = JSON.parse(text) as AuditLine;
        lines.push(line);
        const ready = waiters.filter((waiter) => waiter.match(line));
        waiters = waiters.filter((waiter) => !waiter.match(line));
        for (const waiter of ready) waiter.resolve(line);
      },
    },
  });
  return {
    logger,
    audit: () => [...lines],
    waitForAudit(match, timeoutMs = 10_000) {
      const found = lines.find(match);
      if (found) return Promise.resolve(found);
      return new Promise<AuditLine>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((waiter) => waiter.resolve !== done);
          reject(new Error(`no matching audit line within ${timeoutMs} ms; lines: ${JSON.stringify(lines)}`));
        }, timeoutMs);
        const done = (line: AuditLine) => {
          clearTimeout(timer);
          resolve(line);
        };
        waiters.push({ match, resolve: done });
      });
    },
  };
}
