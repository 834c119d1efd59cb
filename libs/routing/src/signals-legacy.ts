/**
 * The signal rules as the spec first gave them (LiteLLM's adaptive router):
 * kept, unchanged, only to be measured against. The labelled-set test and the
 * routing benchmarks print their precision and recall beside the current
 * rules' ("before" and "after"); nothing routes with them.
 */
import { jaccard, phraseMatcher, SIGNAL_DEFAULTS, tokenSet, trackToolCalls, type SessionSignalState, type SignalSet, type TurnInput } from './signals.js';

const DISENGAGEMENT = phraseMatcher([
  'forget it', 'never mind', 'give up', 'talk to a human', 'cancel', "this isn't working", 'stop', 'abort', "i'll do it myself",
]);
const SATISFACTION = phraseMatcher([
  'that worked', 'that did it', 'works now', 'fixed it', 'solved it', 'nice', 'thanks', 'thank you', 'thx',
  'appreciated', 'perfect', 'great', 'excellent', 'exactly',
]);
const EXHAUSTION_OUTPUT = /context[\s_-]*length|context[\s_-]*window|token[\s_-]*limit|rate[\s_-]*limit|too[\s_-]*many[\s_-]*requests|timeout/iu;

function similarity(previous: string | null, current: string | null): number | null {
  if (previous === null || previous.trim() === '' || current === null || current.trim() === '') return null;
  return jaccard(tokenSet(previous.slice(0, SIGNAL_DEFAULTS.comparedTextCap)), tokenSet(current.slice(0, SIGNAL_DEFAULTS.comparedTextCap)));
}

/** The legacy rules: same inputs and state as `detectSignals`. */
export function detectSignalsLegacy(turn: TurnInput, session: SessionSignalState): { signals: SignalSet; next: SessionSignalState } {
  const userSimilarity = similarity(session.previousUserText, turn.userText);
  const assistantSimilarity = similarity(session.previousAssistantText, turn.assistantText);
  const tools = trackToolCalls(session.toolCallHistory, turn.toolCalls);
  const satisfaction = !session.satisfactionCredited && turn.turnIndex >= 2 && SATISFACTION.test(turn.userText);
  const signals: SignalSet = {
    misalignment: userSimilarity !== null && userSimilarity > 0 && userSimilarity < 0.45,
    stagnation: assistantSimilarity !== null && assistantSimilarity >= 0.5,
    disengagement: DISENGAGEMENT.test(turn.userText),
    satisfaction,
    failure: turn.toolResults.some((result) => result.isError),
    loop: tools.loop,
    exhaustion:
      (turn.status !== null && (SIGNAL_DEFAULTS.exhaustionStatuses as readonly number[]).includes(turn.status)) ||
      turn.toolResults.some((result) => EXHAUSTION_OUTPUT.test(result.content)),
  };
  const blank = (text: string | null) => (text === null || text.trim() === '' ? null : text.slice(0, SIGNAL_DEFAULTS.comparedTextCap));
  return {
    signals,
    next: {
      turnCount: session.turnCount + 1,
      previousUserText: blank(turn.userText),
      previousAssistantText: blank(turn.assistantText),
      toolCallHistory: tools.history,
      satisfactionCredited: session.satisfactionCredited || satisfaction,
      firstRequestType: session.firstRequestType ?? turn.requestType,
    },
  };
}
