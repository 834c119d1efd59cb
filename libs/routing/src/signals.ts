/**
 * Conversation signals (spec: "Signals, per turn"): what one turn of a session
 * says about the response that came before it, and the Beta deltas it earns.
 * Pure: the learner loads the session state, calls `detectSignals`, and stores
 * `next` in the same transaction as the cell increments.
 */
import { z } from 'zod';
import { REQUEST_TYPES, ToolCall, ToolResult } from '@switchyard/contracts';
import type { RequestType } from './classifier.js';
import {
  BARE_STOP_REQUIRED,
  BARE_STOP_WORDS,
  COMPLAINT_PHRASES,
  DISENGAGEMENT_PHRASES,
  NOT_SATISFIED_PHRASES,
  phraseMatcher,
  REQUEST_OPENERS,
  SATISFACTION_PHRASES,
  SATISFACTION_UNSPACED,
  STOP_WORDS,
} from './signal-phrases.js';

export { phraseMatcher } from './signal-phrases.js';

/** Complaint words that are one only when they open the message ("No, I meant ..."), not in "which has no window functions". */
const OPENING_ONLY: ReadonlySet<string> = new Set(['no', 'nope', 'nein', 'non']);

/** Every threshold of the signal rules, in one place so that they can be tuned. */
export const SIGNAL_DEFAULTS = {
  /**
   * Misalignment without a complaint phrase: the user rewords the same
   * request, measured on content words (stop words out): at least this
   * Jaccard with the previous request, and at least `rewordMinWords` content
   * words. On the labelled set, follow-ups ("now write tests for it") share
   * one or two content words with the request (J < 0.25) and rewordings keep
   * most of theirs (J >= 0.4); 0.3 sits between.
   */
  rewordAtLeast: 0.3,
  rewordMinWords: 3,
  /**
   * Stagnation: the assistant's response repeats its previous one
   * (content-word Jaccard) after the user complained. A correction that
   * works keeps many words of the wrong answer ("git reset --hard" ->
   * "git reset --soft", J ~ 0.6 on the labelled set); a model that is stuck
   * sends the same answer again (J >= 0.9).
   */
  stagnationAtLeast: 0.8,
  /** Without a complaint in between, only a near-verbatim repeat is stagnation: a requested small edit keeps most words. */
  repeatAtLeast: 0.95,
  /** Satisfaction needs a response to judge: from the second turn (index 1) on. */
  satisfactionFromTurnIndex: 1,
  /** A bare "stop" / "cancel" message has at most this many words. */
  bareStopMaxWords: 3,
  /** Loop: a call seen this many times already in the window. */
  loopRepeats: 2,
  /** Tool-call signatures remembered per session. */
  toolCallWindow: 20,
  /**
   * User and assistant texts are compared, and stored in the session state,
   * by their first this-many characters: the state is persisted as JSON per
   * session and must stay small. Both sides are cut alike, so J stays fair.
   */
  comparedTextCap: 4_000,
  exhaustionStatuses: [408, 413, 429, 503, 504],
} as const;

export const SIGNAL_NAMES = [
  'misalignment',
  'stagnation',
  'disengagement',
  'satisfaction',
  'failure',
  'loop',
  'exhaustion',
] as const;

export type SignalName = (typeof SIGNAL_NAMES)[number];
export const signalSetSchema = z.object({
  misalignment: z.boolean(),
  stagnation: z.boolean(),
  disengagement: z.boolean(),
  satisfaction: z.boolean(),
  failure: z.boolean(),
  loop: z.boolean(),
  exhaustion: z.boolean(),
});
export type SignalSet = Record<SignalName, boolean>;

export const toolCallSchema = ToolCall;
export const toolResultSchema = ToolResult;
export type { ToolCall, ToolResult };

/**
 * One learned turn, as the learner reads it from the request's history.
 *
 * The client sends the whole conversation back with each turn, so the
 * response being judged is in the history, not in this turn's completion:
 * `assistantText` is the latest assistant message before `userText`, the
 * response to the previous turn. Stagnation then compares the last two
 * responses the user has seen, and the user's reaction in `userText` judges
 * the response in `assistantText`: both go to the session owner that wrote it.
 */
export const turnInputSchema = z.object({
  /** 0-based position of the turn in the conversation: the number of user messages before `userText`. */
  turnIndex: z.number().int().nonnegative(),
  requestType: z.enum(REQUEST_TYPES),
  /** The last user message's text ('' when it has none). */
  userText: z.string(),
  /** The latest assistant message of the history, the previous response; null when there is none. */
  assistantText: z.string().nullable(),
  /** Tool calls made since the previous learned turn, in order. Earlier calls are already in the state. */
  toolCalls: z.array(toolCallSchema),
  /** Tool results returned since the previous learned turn. */
  toolResults: z.array(toolResultSchema),
  /** HTTP status of this turn's provider call; null when unknown. */
  status: z.number().int().nullable(),
});
export type TurnInput = z.infer<typeof turnInputSchema>;

/** What the learner keeps per session between turns (persisted as JSON). */
export const sessionSignalStateSchema = z.object({
  /** Learned turns so far. */
  turnCount: z.number().int().nonnegative(),
  previousUserText: z.string().nullable(),
  previousAssistantText: z.string().nullable(),
  /** Signatures of the latest tool calls, oldest first. */
  toolCallHistory: z.array(z.string()).max(SIGNAL_DEFAULTS.toolCallWindow),
  /** Satisfaction is credited at most once per session. */
  satisfactionCredited: z.boolean(),
  /** The type of the session's first learned turn: the cell of its `general` turns. */
  firstRequestType: z.enum(REQUEST_TYPES).nullable(),
});
export type SessionSignalState = z.infer<typeof sessionSignalStateSchema>;

export function newSessionSignalState(): SessionSignalState {
  return {
    turnCount: 0,
    previousUserText: null,
    previousAssistantText: null,
    toolCallHistory: [],
    satisfactionCredited: false,
    firstRequestType: null,
  };
}

/** Lowercase runs of letters (with their combining marks) and digits, in any script. */
export function tokenSet(text: string): Set<string> {
  return new Set(text.normalize('NFC').toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? []);
}

/** |A ∩ B| / |A ∪ B|; 0 when both are empty (nothing said is not "the same thing said"). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const token of small) if (large.has(token)) shared++;
  return shared / (a.size + b.size - shared);
}

const SATISFACTION = phraseMatcher(SATISFACTION_PHRASES);
const NOT_SATISFIED = phraseMatcher(NOT_SATISFIED_PHRASES);
const COMPLAINT = phraseMatcher(COMPLAINT_PHRASES.filter((phrase) => !OPENING_ONLY.has(phrase)));
const OPENING_COMPLAINT = /^\s*(?:no|nope|nein|non|não)(?![\p{L}\p{M}\p{N}_])/iu;
const DISENGAGEMENT = phraseMatcher(DISENGAGEMENT_PHRASES);
const FIRST_SENTENCE = /^[^.!?\n\u3002\uff01\uff1f]*[.!?\n\u3002\uff01\uff1f]?/u;

/**
 * Tool output is machine text ("RateLimitError", "context_length_exceeded",
 * "ReadTimeout"), so these phrases match inside identifiers, with or without
 * a space, underscore or hyphen between their words: word boundaries would
 * miss exactly the errors that mean exhaustion.
 */
const EXHAUSTION_OUTPUT = new RegExp(
  ['context length', 'context window', 'token limit', 'rate limit', 'too many requests', 'timeout']
    .map((phrase) => phrase.split(' ').join('[\\s_-]*'))
    .join('|'),
  'iu',
);

/** A tool call's identity for loop detection: its name and its arguments with keys sorted. */
export function toolCallSignature(call: ToolCall): string {
  return `${call.name}(${canonicalJson(parseIfJson(call.args))})`;
}

function parseIfJson(args: unknown): unknown {
  if (typeof args !== 'string') return args;
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The text as compared and stored: capped, and null when it says nothing. */
function comparableText(text: string | null): string | null {
  if (text === null || text.trim() === '') return null;
  return text.slice(0, SIGNAL_DEFAULTS.comparedTextCap);
}

function similarity(previous: string | null, current: string | null): number | null {
  if (previous === null || current === null) return null;
  return jaccard(contentWords(previous), contentWords(current));
}

/** Tokens without stop words and single characters: what two messages must share to be about the same thing. */
export function contentWords(text: string): Set<string> {
  const words = new Set<string>();
  for (const token of tokenSet(text)) if (token.length > 1 && !STOP_WORDS.has(token)) words.add(token);
  return words;
}

/** What the user's text says about the response before it. Pure; O(text), the text capped by the caller. */
export interface UserReaction {
  complaint: boolean;
  satisfied: boolean;
  disengaged: boolean;
}

export function readReaction(text: string): UserReaction {
  const disengaged = DISENGAGEMENT.test(text) || isBareStop(text);
  const declined = NOT_SATISFIED.test(text);
  const complaint = OPENING_COMPLAINT.test(text) || COMPLAINT.test(text);
  // Only an acknowledgement in the first sentence, and not in a question or request there: "Could you add tests? Thanks!" is politeness.
  const first = FIRST_SENTENCE.exec(text)?.[0] ?? text;
  const firstIsRequest = first.trimEnd().endsWith('?') || REQUEST_OPENERS.test(first);
  const acknowledged = !firstIsRequest && (SATISFACTION.test(first) || SATISFACTION_UNSPACED.some((phrase) => first.includes(phrase)));
  return {
    disengaged,
    complaint: complaint && !disengaged && !isDecline(text),
    satisfied: acknowledged && !declined && !complaint && !disengaged,
  };
}

/** "no thanks", "non merci": declining an offer judges nothing. */
function isDecline(text: string): boolean {
  return /^\s*(?:no|non|nein|não)[\s,!.]+(?:thanks|thank you|merci|danke|gracias|grazie|obrigad[oa])\b/iu.test(text);
}

function isBareStop(text: string): boolean {
  const words = text.toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
  if (words.length === 0 || words.length > SIGNAL_DEFAULTS.bareStopMaxWords) return false;
  return words.every((word) => BARE_STOP_WORDS.has(word)) && words.some((word) => BARE_STOP_REQUIRED.has(word));
}

/** Appends the turn's calls to the window; true when one of them was already seen `loopRepeats` times. */
export function trackToolCalls(history: readonly string[], calls: readonly ToolCall[]): { loop: boolean; history: string[] } {
  const window = [...history];
  let loop = false;
  for (const call of calls) {
    const signature = toolCallSignature(call);
    const seen = window.filter((earlier) => earlier === signature).length;
    if (seen >= SIGNAL_DEFAULTS.loopRepeats) loop = true;
    window.push(signature);
    if (window.length > SIGNAL_DEFAULTS.toolCallWindow) window.shift();
  }
  return { loop, history: window };
}

/** The seven signals of one turn, and the session state to store after it. */
export function detectSignals(turn: TurnInput, session: SessionSignalState): { signals: SignalSet; next: SessionSignalState } {
  const userText = comparableText(turn.userText);
  const assistantText = comparableText(turn.assistantText);
  const reaction = readReaction(userText ?? '');
  // A reaction needs a response to react to.
  const reacting = turn.turnIndex >= 1 || session.previousUserText !== null;
  const userSimilarity = similarity(session.previousUserText, userText);
  const reworded =
    userSimilarity !== null &&
    userSimilarity >= SIGNAL_DEFAULTS.rewordAtLeast &&
    contentWords(userText ?? '').size >= SIGNAL_DEFAULTS.rewordMinWords;
  // The response the user saw last against the one before it; a repeat after a complaint is the model stuck.
  const assistantSimilarity = similarity(session.previousAssistantText, assistantText);
  const complainedBefore = session.previousUserText !== null && readReaction(session.previousUserText).complaint;
  const tools = trackToolCalls(session.toolCallHistory, turn.toolCalls);
  const satisfaction =
    !session.satisfactionCredited && turn.turnIndex >= SIGNAL_DEFAULTS.satisfactionFromTurnIndex && reacting && reaction.satisfied;

  const signals: SignalSet = {
    // An acknowledgement is never a misalignment, and a user who gives up is counted once, as disengaged.
    misalignment: reacting && !reaction.satisfied && !reaction.disengaged && (reaction.complaint || reworded),
    stagnation:
      assistantSimilarity !== null &&
      (assistantSimilarity >= SIGNAL_DEFAULTS.repeatAtLeast || (complainedBefore && assistantSimilarity >= SIGNAL_DEFAULTS.stagnationAtLeast)),
    disengagement: reacting && reaction.disengaged,
    satisfaction,
    failure: turn.toolResults.some((result) => result.isError),
    loop: tools.loop,
    exhaustion:
      (turn.status !== null && (SIGNAL_DEFAULTS.exhaustionStatuses as readonly number[]).includes(turn.status)) ||
      turn.toolResults.some((result) => EXHAUSTION_OUTPUT.test(result.content)),
  };

  const next: SessionSignalState = {
    turnCount: session.turnCount + 1,
    // "Previous" means the previous turn's: a turn without text leaves nothing to compare the next one with.
    previousUserText: userText,
    previousAssistantText: assistantText,
    toolCallHistory: tools.history,
    satisfactionCredited: session.satisfactionCredited || satisfaction,
    firstRequestType: session.firstRequestType ?? turn.requestType,
  };
  return { signals, next };
}

/** Beta deltas of a turn's signals. Exhaustion is the provider's limit, not the model's quality: no delta. */
export function deltasFor(signals: SignalSet): { alpha: number; beta: number } {
  const count = (fired: boolean): number => (fired ? 1 : 0);
  return {
    alpha: count(signals.satisfaction),
    beta:
      count(signals.misalignment) +
      count(signals.stagnation) +
      count(signals.disengagement) +
      count(signals.failure) +
      0.5 * count(signals.loop),
  };
}

/** The cell a turn's deltas go to: its own type, or the session's first type for a `general` turn ("thanks"). */
export function cellTypeFor(turnType: RequestType, session: Pick<SessionSignalState, 'firstRequestType'>): RequestType {
  if (turnType !== 'general') return turnType;
  return session.firstRequestType ?? 'general';
}
