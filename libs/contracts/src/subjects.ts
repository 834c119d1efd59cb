/**
 * Every NATS subject, queue group, header and stream name Switchyard uses.
 * Services never spell a subject themselves: they call `busNames(prefix)`,
 * so tests (and several stacks on one NATS) isolate themselves by prefix.
 */
export const Subjects = {
  /** ingress -> limiter: a routing decision, reply inbox = the ingress's. */
  decision: 'route.decision',
  /** limiter -> upstream-caller: an admitted call, same reply inbox. */
  call: 'route.call',
  /** upstream-caller -> limiters: a CallerPresence beat (here, or leaving). */
  callerPresence: 'presence.upstream-caller',
  /** limiter -> upstream-callers: who is there? Answered with a CallerPresence beat. */
  callerProbe: 'presence.upstream-caller.probe',
  /** ingress -> upstream-callers: the client went away, abort that request. */
  cancel: 'route.cancel',
  /** upstream-caller -> JetStream: provider calls finished (a CallsCompleted batch). */
  callCompleted: 'events.call.completed',
  /** ingress -> limiter (request/reply): every deployment's cooldown state and recent failures. */
  deploymentHealth: 'limiter.deployment-health',
  /** ingress -> JetStream: one learned turn of an adaptive-router conversation. */
  turn: 'events.turn',
  /** ingress -> JetStream: a client's or evaluator's explicit score of a routed response (FeedbackEvent). */
  feedback: 'events.feedback',
  /** ingress -> upstream-callers (request/reply): retrieve or delete a response stored at its deployment (StoredResponseCall). */
  storedResponse: 'route.stored-response',
  /** ingress -> keys service (request/reply): one management call on virtual keys or teams (KeysCall). */
  keys: 'keys.manage',
  /** ingress -> ledger (request/reply): `GET /spend/logs` (SpendLogsQuery -> LedgerReply). */
  spendLogs: 'ledger.spend.logs',
  /** ingress -> ledger (request/reply): `GET /global/spend/report` (SpendReportQuery -> LedgerReply). */
  spendReport: 'ledger.spend.report',
  /** any service -> ledger (request/reply): recorded spend of key/team/user scopes (SpendOfRequest -> LedgerReply of ScopeSpend[]). */
  spendOf: 'ledger.spend.of',
} as const;

export type SubjectKey = keyof typeof Subjects;

export const QueueGroups = {
  limiter: 'limiter',
  upstreamCaller: 'upstream-caller',
  learner: 'learner',
  keys: 'keys',
  ledger: 'ledger',
} as const;

/** NATS message headers that carry Switchyard metadata beside raw payload bytes. */
export const BusHeaders = {
  /** JSON CallEnvelope on decision and call messages. */
  envelope: 'sy-envelope',
  /** Which part of a reply a message is (see ReplyPart). */
  part: 'sy-part',
  /** JSON metadata of a reply part. */
  meta: 'sy-meta',
  /** The ingress inbox an upstream-caller replies to (call messages are published, with no NATS reply). */
  replyTo: 'sy-reply-to',
} as const;

export interface BusNames {
  prefix: string;
  subjects: { [K in SubjectKey]: string };
  /** JetStream stream holding every `events.>` subject of this prefix. */
  eventsStream: string;
  /** Object store bucket for request bodies larger than the NATS max payload. */
  bodyBucket: string;
  /** KV bucket of learned bandit cells, watched by every ingress replica. */
  cellsBucket: string;
  /** KV bucket: response id -> the deployment that stores it and the caller who made it (StoredResponseOwner). */
  responsesBucket: string;
  /** KV bucket of virtual key and team records (hashes only), watched by every ingress replica. */
  keysBucket: string;
  /** Durable consumer names. */
  consumers: { learnerCalls: string; learnerTurns: string; learnerFeedback: string; limiterSettlements: string; ledgerCalls: string };
}

const PREFIX_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function busNames(prefix = 'switchyard'): BusNames {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new Error(`invalid bus prefix "${prefix}": letters, digits, '_', '-' and '.' separators only`);
  }
  const subjects = Object.fromEntries(
    Object.entries(Subjects).map(([key, subject]) => [key, `${prefix}.${subject}`]),
  ) as BusNames['subjects'];
  const token = prefix.replace(/[.-]/g, '_').toUpperCase();
  return {
    prefix,
    subjects,
    eventsStream: `${token}_EVENTS`,
    bodyBucket: `${token}_BODIES`.toLowerCase(),
    cellsBucket: `${token}_CELLS`.toLowerCase(),
    responsesBucket: `${token}_RESPONSES`.toLowerCase(),
    keysBucket: `${token}_KEYS`.toLowerCase(),
    consumers: { learnerCalls: 'learner-calls', learnerTurns: 'learner-turns', learnerFeedback: 'learner-feedback', limiterSettlements: 'limiter-settlements', ledgerCalls: 'ledger-calls' },
  };
}
