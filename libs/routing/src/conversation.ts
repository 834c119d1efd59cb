import { createHash } from 'node:crypto';
import type { ToolCall, ToolResult } from '@switchyard/contracts';
import { contentText, isRecord } from './classifier.js';
import { SIGNAL_DEFAULTS, toolCallSignature } from './signals.js';

/** Messages a session key is derived from: a conversation's opening identifies it. */
export const SESSION_OPENING_MESSAGES = 4;

/**
 * The session a request belongs to: the client's own id when it sends one,
 * else a hash of the caller and the conversation's opening. A conversation
 * shorter than its opening has no session yet: the turn is routed, not learned.
 */
export function sessionKeyOf(options: {
  explicitId: string | null;
  callerId: string | null;
  user: string | null;
  messages: readonly unknown[];
}): string | null {
  const hash = createHash('sha256');
  if (options.explicitId) return hash.update(`id\u0000${options.callerId ?? ''}\u0000${options.explicitId}`).digest('hex');
  if (options.messages.length < SESSION_OPENING_MESSAGES) return null;
  hash.update(`caller\u0000${options.callerId ?? ''}\u0000${options.user ?? ''}`);
  for (const message of options.messages.slice(0, SESSION_OPENING_MESSAGES)) {
    const record = isRecord(message) ? message : {};
    hash.update(`\u0000${String(record.role)}\u0000${contentText(record.content)}`);
  }
  return hash.digest('hex');
}

/** What the learner needs from a request's history (see TurnEvent). */
export interface ConversationTurn {
  turnIndex: number;
  userText: string;
  previousUserText: string | null;
  assistantText: string | null;
  previousAssistantText: string | null;
  toolCalls: ToolCall[];
  toolResults: ToolResult[];
  earlierToolCalls: string[];
}

/** Texts travel capped: enough to compare, never a whole document on the bus. */
const TEXT_CAP = 4_000;

/** Tool results that say they failed, in the shapes agents commonly use. */
const ERROR_RESULT = /^\s*(error\b|exception\b|traceback\b|\{\s*"error")/i;

/**
 * Reads the last turn out of a chat history: the current and previous user
 * texts, the latest two assistant texts, the tool calls and results since the
 * last user message, and the signatures of the tool calls before those.
 */
export function readConversation(messages: readonly unknown[]): ConversationTurn {
  const records = messages.filter(isRecord);
  const users: number[] = [];
  const assistants: number[] = [];
  records.forEach((message, index) => {
    if (message.role === 'user') users.push(index);
    else if (message.role === 'assistant') assistants.push(index);
  });
  const lastUser = users.at(-1) ?? -1;
  const text = (index: number | undefined) => (index === undefined ? null : cap(contentText(records[index]!.content)));
  const toolCalls: ToolCall[] = [];
  const earlier: string[] = [];
  const toolResults: ToolResult[] = [];
  records.forEach((message, index) => {
    if (message.role === 'assistant' && Array.isArray(message.tool_calls)) {
      for (const call of message.tool_calls as unknown[]) {
        const fn = isRecord(call) && isRecord(call.function) ? call.function : null;
        if (!fn) continue;
        const parsed: ToolCall = { name: String(fn.name ?? ''), args: fn.arguments ?? null };
        if (index > lastUser) toolCalls.push(parsed);
        else earlier.push(toolCallSignature(parsed));
      }
    }
    if (message.role === 'tool' && index > lastUser) {
      const content = cap(contentText(message.content));
      toolResults.push({ isError: ERROR_RESULT.test(content), content });
    }
  });
  return {
    turnIndex: Math.max(0, users.length - 1),
    userText: text(users.at(-1)) ?? '',
    previousUserText: text(users.at(-2)),
    assistantText: text(assistants.at(-1)),
    previousAssistantText: text(assistants.at(-2)),
    toolCalls,
    toolResults,
    earlierToolCalls: earlier.slice(-SIGNAL_DEFAULTS.toolCallWindow),
  };
}

function cap(text: string): string {
  return text.length > TEXT_CAP ? text.slice(0, TEXT_CAP) : text;
}
