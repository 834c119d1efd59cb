import type { NatsConnection, Subscription } from 'nats';
import type { BusNames, CallerPresence } from '@switchyard/contracts';

export interface PresenceOptions {
  nc: NatsConnection;
  names: BusNames;
  instance: string;
  intervalMs: number;
}

export interface Presence {
  /** Tells the limiters this caller takes no more calls (sent with the next flush, e.g. the drain's); stops beating. */
  leave(): void;
}

/**
 * Makes this upstream-caller known to the limiters: a beat now, one every
 * `intervalMs`, an answer to every probe, and a "leaving" beat on shutdown,
 * so that the last caller going away turns the next request into a 503 at
 * once rather than a wait for its timeout.
 */
export function announcePresence(options: PresenceOptions): Presence {
  const { nc, names, instance, intervalMs } = options;
  const beat = (state: CallerPresence['state']): string => JSON.stringify({ instance, state, intervalMs } satisfies CallerPresence);
  const probes: Subscription = nc.subscribe(names.subjects.callerProbe, {
    callback: (error, msg) => {
      if (!error) msg.respond(beat('up'));
    },
  });
  const publish = (state: CallerPresence['state']): void => {
    // A closed connection throws; the next beat after a reconnect makes up for a lost one.
    if (!nc.isClosed()) nc.publish(names.subjects.callerPresence, beat(state));
  };
  publish('up');
  const timer = setInterval(() => publish('up'), intervalMs);
  timer.unref();
  return {
    leave() {
      clearInterval(timer);
      probes.unsubscribe();
      publish('leaving');
    },
  };
}
