/**
 * Conversation signals (spec: "Signals, per turn"): what one turn of a session
 * says about the response that came before it, and the Beta deltas it earns.
 * Pure: the learner loads the session state, calls `detectSignals`, and stores
 * `next` in the same transaction as the cell increments.
 */
import { z } from 'zod';
import { REQUEST_TYPES, ToolCall, ToolResult } from '@switchyard/contracts';
import type { RequestType } from './classifier.js';

/** Every threshold of the signal rules, in one place so that they can be tuned. */
export const SIGNAL_DEFAULTS = {
  /** Misalignment: the user rewords the same request (0 < J < this). */
  misalignmentBelow: 0.45,
  /** Stagnation: the assistant repeats itself (J >= this). */
  stagnationAtLeast: 0.5,
  /** Satisfaction counts from the third turn (index 2) on: earlier thanks are politeness. */
  satisfactionFromTurnIndex: 2,
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

/**
 * A whole-phrase, case-insensitive matcher. Boundaries are Unicode-aware (a
 * letter of any script continues a word), a space matches any whitespace and
 * an apostrophe either the straight or the typographic one.
 */
function phraseMatcher(phrases: readonly string[]): RegExp {
  const alternatives = phrases.map((phrase) =>
    phrase
      .split(' ')
      .map((word) => word.replaceAll("'", "['\u2019]"))
      .join(String.raw`\s+`),
  );
  return new RegExp(String.raw`(?<![\p{L}\p{M}\p{N}_])(?:${alternatives.join('|')})(?![\p{L}\p{M}\p{N}_])`, 'iu');
}

const DISENGAGEMENT = phraseMatcher([
  'forget it', 'never mind', 'give up', 'talk to a human', 'cancel', "this isn't working", 'stop', 'abort', "i'll do it myself",
]);
const SATISFACTION = phraseMatcher([
  'that worked', 'that did it', 'works now', 'fixed it', 'solved it', 'nice', 'thanks', 'thank you', 'thx',
  'appreciated', 'perfect', 'great', 'excellent', 'exactly',
]);
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
  return jaccard(tokenSet(previous), tokenSet(current));
}

/** Appends the turn's calls to the window; true when one of them was already seen `loopRepeats` times. */
function trackToolCalls(history: readonly string[], calls: readonly ToolCall[]): { loop: boolean; history: string[] } {
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
  const userSimilarity = similarity(session.previousUserText, userText);
  const assistantSimilarity = similarity(session.previousAssistantText, assistantText);
  const tools = trackToolCalls(session.toolCallHistory, turn.toolCalls);
  const satisfaction =
    !session.satisfactionCredited &&
    turn.turnIndex >= SIGNAL_DEFAULTS.satisfactionFromTurnIndex &&
    SATISFACTION.test(turn.userText);

  const signals: SignalSet = {
    misalignment: userSimilarity !== null && userSimilarity > 0 && userSimilarity < SIGNAL_DEFAULTS.misalignmentBelow,
    stagnation: assistantSimilarity !== null && assistantSimilarity >= SIGNAL_DEFAULTS.stagnationAtLeast,
    disengagement: DISENGAGEMENT.test(turn.userText),
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
