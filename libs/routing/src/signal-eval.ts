/**
 * Precision and recall of a signal detector on the hand-labelled turns
 * (fixtures/labelled-turns.ts). Pure; used by the labelled-set test and the
 * routing benchmark, for the current rules and the legacy ones alike.
 */
import { LABELLED_CONVERSATIONS, LABELLED_REACTIONS, LABELLED_STAGNATION, type Label, type LabelledTurnRow } from './fixtures/labelled-turns.js';
import { newSessionSignalState, SIGNAL_NAMES, type SessionSignalState, type SignalName, type SignalSet, type TurnInput } from './signals.js';

export type SignalDetector = (turn: TurnInput, session: SessionSignalState) => { signals: SignalSet; next: SessionSignalState };

const LABELS: Record<Label, SignalName> = {
  M: 'misalignment', S: 'stagnation', D: 'disengagement', T: 'satisfaction', F: 'failure', L: 'loop', X: 'exhaustion',
};

export interface LabelledTurn {
  id: string;
  turn: TurnInput;
  /** The session state before the turn, as the learner would hold it. */
  session: SessionSignalState;
  expected: ReadonlySet<SignalName>;
}

function expectedOf(labels: string): Set<SignalName> {
  return new Set([...labels].map((letter) => LABELS[letter as Label]));
}

function input(turnIndex: number, row: Pick<LabelledTurnRow[3] & object, 'toolCalls' | 'toolResults' | 'status'> | undefined, user: string, reply: string | null): TurnInput {
  return {
    turnIndex,
    requestType: 'general',
    userText: user,
    assistantText: reply,
    toolCalls: row?.toolCalls ?? [],
    toolResults: row?.toolResults ?? [],
    status: row?.status ?? null,
  };
}

/**
 * Every labelled turn with its context. Conversations are replayed through
 * `detector` so that each turn sees the state the previous ones left
 * (tool-call history, the one satisfaction credit); single reactions sit three
 * turns into a conversation whose earlier turns said nothing.
 */
export function labelledTurns(detector: SignalDetector): LabelledTurn[] {
  const turns: LabelledTurn[] = [];
  for (const conversation of LABELLED_CONVERSATIONS) {
    let session = newSessionSignalState();
    conversation.turns.forEach(([reply, user, labels, extra], index) => {
      const turn = input(index, extra, user, reply);
      turns.push({ id: `${conversation.id}#${index}`, turn, session, expected: expectedOf(labels) });
      session = detector(turn, session).next;
    });
  }
  LABELLED_REACTIONS.forEach(([previousUser, reply, user, labels], index) => {
    const session: SessionSignalState = { ...newSessionSignalState(), turnCount: 2, previousUserText: previousUser, previousAssistantText: null };
    turns.push({ id: `reaction#${index}`, turn: input(2, undefined, user, reply), session, expected: expectedOf(labels) });
  });
  LABELLED_STAGNATION.forEach(([previousReply, previousUser, reply, user, labels], index) => {
    const session: SessionSignalState = { ...newSessionSignalState(), turnCount: 3, previousUserText: previousUser, previousAssistantText: previousReply };
    turns.push({ id: `stagnation#${index}`, turn: input(3, undefined, user, reply), session, expected: expectedOf(labels) });
  });
  return turns;
}

export interface SignalScore {
  signal: SignalName;
  /** Turns labelled with the signal. */
  labelled: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** 1 when the detector never fired (nothing claimed, nothing wrong). */
  precision: number;
  /** 1 when no turn is labelled with it. */
  recall: number;
}

export interface SignalEvaluation {
  turns: number;
  scores: SignalScore[];
  /** Turn ids where the detector and the label disagree, per signal: what to read when a floor fails. */
  mistakes: Record<SignalName, { falsePositives: string[]; falseNegatives: string[] }>;
}

export function evaluateSignals(detector: SignalDetector): SignalEvaluation {
  const turns = labelledTurns(detector);
  const mistakes = Object.fromEntries(SIGNAL_NAMES.map((name) => [name, { falsePositives: [] as string[], falseNegatives: [] as string[] }])) as SignalEvaluation['mistakes'];
  const counts = new Map(SIGNAL_NAMES.map((name) => [name, { tp: 0, fp: 0, fn: 0, labelled: 0 }]));
  for (const labelled of turns) {
    const { signals } = detector(labelled.turn, labelled.session);
    for (const name of SIGNAL_NAMES) {
      const count = counts.get(name)!;
      const expected = labelled.expected.has(name);
      if (expected) count.labelled += 1;
      if (signals[name] && expected) count.tp += 1;
      else if (signals[name]) {
        count.fp += 1;
        mistakes[name].falsePositives.push(`${labelled.id}: ${JSON.stringify(labelled.turn.userText.slice(0, 60))}`);
      } else if (expected) {
        count.fn += 1;
        mistakes[name].falseNegatives.push(`${labelled.id}: ${JSON.stringify(labelled.turn.userText.slice(0, 60))}`);
      }
    }
  }
  const scores = SIGNAL_NAMES.map((signal): SignalScore => {
    const { tp, fp, fn, labelled } = counts.get(signal)!;
    return {
      signal,
      labelled,
      truePositives: tp,
      falsePositives: fp,
      falseNegatives: fn,
      precision: tp + fp === 0 ? 1 : tp / (tp + fp),
      recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    };
  });
  return { turns: turns.length, scores, mistakes };
}

/** A Markdown table of the scores (the README's before/after table is two of these). */
export function signalTable(evaluation: SignalEvaluation): string {
  const pct = (value: number) => `${(value * 100).toFixed(0)}%`;
  const rows = evaluation.scores.map(
    (score) => `| ${score.signal} | ${score.labelled} | ${pct(score.precision)} | ${pct(score.recall)} | ${score.falsePositives} | ${score.falseNegatives} |`,
  );
  return [`| signal | labelled | precision | recall | false pos. | false neg. |`, '|---|---|---|---|---|---|', ...rows].join('\n');
}
