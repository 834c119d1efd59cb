import { request, type Agent } from 'node:http';
import { wallClockMs } from './clock.js';
import { STAMP_PATTERN } from './mock/server.js';
import type { Target } from './targets.js';

/*
 * A streaming client that notes when each chunk arrives. autocannon times
 * whole responses only, so the streaming benchmark reads SSE with node:http
 * itself: every chunk the mock writes carries its send time, and the client
 * pairs it with its own arrival time.
 */

export interface StampedChunk {
  /** When the mock wrote it, on this process's clock (ms). */
  sentMs: number;
  /** When it reached this client (ms). */
  receivedMs: number;
}

export interface StreamOutcome {
  status: number;
  /** Request start to the first content chunk, monotonic ms; null when none came. */
  ttftMs: number | null;
  chunks: StampedChunk[];
  /** The stream ended with `data: [DONE]`. */
  done: boolean;
  error: string | null;
}

export function openStream(target: Target, body: string, agent: Agent, clockOffsetMs: number): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const outcome: StreamOutcome = { status: 0, ttftMs: null, chunks: [], done: false, error: null };
    const req = request(target.url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), accept: 'text/event-stream', ...target.headers },
    });
    req.on('error', (error) => {
      outcome.error = error.message;
      resolve(outcome);
    });
    req.on('response', (res) => {
      outcome.status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (text: string) => {
        const receivedMs = wallClockMs();
        const at = performance.now();
        buffer += text;
        const lastBreak = buffer.lastIndexOf('\n\n');
        if (lastBreak < 0) return;
        const frames = buffer.slice(0, lastBreak);
        buffer = buffer.slice(lastBreak + 2);
        for (const match of frames.matchAll(STAMP_PATTERN)) {
          outcome.ttftMs ??= at - started;
          outcome.chunks.push({ sentMs: Number(match[1]) - clockOffsetMs, receivedMs });
        }
        if (frames.includes('data: [DONE]')) outcome.done = true;
      });
      res.on('end', () => resolve(outcome));
      res.on('error', (error) => {
        outcome.error = error.message;
        resolve(outcome);
      });
    });
    req.end(body);
  });
}
