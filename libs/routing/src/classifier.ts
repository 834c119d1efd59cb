/**
 * Deterministic request classifier for adaptive routing (spec: "Request types
 * and the classifier"). Sixteen ordered rules over the first 2,000 characters
 * of the last user message; the first rule that matches names the type.
 */

import type { RequestType } from '@switchyard/contracts';

export { REQUEST_TYPES, type RequestType } from '@switchyard/contracts';

/** Only this prefix of the text is classified, so the cost per request is bounded. */
export const CLASSIFIER_INPUT_CAP = 2_000;

/**
 * Word boundaries that know every script. JavaScript's `\b` only knows ASCII
 * `\w`, so in "designé" it sees a boundary after "design" and in "Übuild" one
 * before "build". A word character here is any letter, combining mark, digit
 * or underscore, in any script.
 */
const WORD_CHAR = String.raw`[\p{L}\p{M}\p{N}_]`;
const WORD_START = `(?<!${WORD_CHAR})`;
const WORD_END = `(?!${WORD_CHAR})`;
/** The "..." of the spec: any gap, newlines included, as short as possible. */
const GAP = String.raw`[\s\S]*?`;
/** Straight or typographic apostrophe, as phones and word processors type it. */
const APOSTROPHE = `['\u2019]`;

/** One whole word or phrase out of several; a space in a phrase matches any run of whitespace. */
function anyOf(...phrases: string[]): string {
  const alternatives = phrases.map((phrase) =>
    phrase
      .split(' ')
      .map((word) => escapeRegExp(word).replaceAll("'", APOSTROPHE))
      .join(String.raw`\s+`),
  );
  return `${WORD_START}(?:${alternatives.join('|')})${WORD_END}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`);
}

/** Joins parts that must follow each other directly, separated by whitespace. */
function adjacent(...parts: string[]): string {
  return parts.join(String.raw`\s+`);
}

function optional(part: string): string {
  return String.raw`(?:${part}\s+)?`;
}

/** Anchors a pattern at the start of the text (after leading whitespace). */
function atStart(pattern: string): string {
  return String.raw`^\s*${pattern}`;
}

/** Up to four whole words between two parts (rule 2). Bounded, so backtracking stays linear. */
const UP_TO_FOUR_WORDS = String.raw`(?:\s+\S+){0,4}?\s+`;

const LANGUAGES = anyOf('python', 'javascript', 'typescript', 'java', 'rust', 'go', 'c++', 'sql', 'bash', 'shell');
const CODE_ERRORS = anyOf('error', 'bug', 'exception', 'stacktrace', 'stack trace', 'traceback');
const DATA_STORES_AND_TOOLS = anyOf(
  'library', 'framework', 'language', 'database', 'protocol', 'postgres', 'postgresql',
  'mongodb', 'dynamodb', 'mysql', 'redis', 'kafka', 'sql', 'nosql',
);
const TONES = anyOf('concise', 'formal', 'casual', 'professional', 'persuasive');

interface ClassifierRule {
  readonly type: RequestType;
  readonly pattern: RegExp;
}

function rule(type: RequestType, source: string): ClassifierRule {
  // `i` for case, `u` so that \p{...} and lookbehinds see code points.
  return { type, pattern: new RegExp(source, 'iu') };
}

/** The spec's rules, in its order: the first match wins. Compiled once at load. */
export const CLASSIFIER_RULES: readonly ClassifierRule[] = [
  // 1. "write a python ...", "implement the rust ..."
  rule('code_generation', adjacent(
    anyOf('write', 'create', 'generate', 'implement', 'build'),
    optional(anyOf('a', 'an', 'the', 'me')) + LANGUAGES,
  )),
  // 2. "build a small REST api", "write me a helper function"
  rule('code_generation',
    anyOf('write', 'create', 'implement', 'build') + UP_TO_FOUR_WORDS +
    anyOf('function', 'class', 'method', 'script', 'program', 'api', 'endpoint', 'microservice'),
  ),
  // 3. "explain what this function does"
  rule('code_understanding',
    anyOf('explain', 'describe', 'understand', 'walk me through', 'what does') + GAP +
    anyOf('code', 'function', 'method', 'class', 'algorithm', 'snippet'),
  ),
  // 4. "why does this throw an exception"
  rule('code_understanding',
    anyOf('debug', 'fix', 'why is', 'why does', "why isn't", 'trace', "what's wrong") + GAP + CODE_ERRORS,
  ),
  // 5. "review my pull request"
  rule('code_understanding', adjacent(
    anyOf('review', 'critique'),
    optional(anyOf('this', 'my', 'the')) + anyOf('code', 'pr', 'pull request', 'diff', 'patch'),
  )),
  // 6. "design a notification service"
  rule('technical_design',
    anyOf('design', 'architect', 'plan', 'architecture') + GAP +
    anyOf('system', 'service', 'api', 'database', 'schema', 'module', 'microservice'),
  ),
  // 7. "should I use postgres or mongodb"
  rule('technical_design',
    anyOf('should i use', 'should i choose', 'should i pick', 'tradeoff between', 'tradeoffs between', 'compare') +
    GAP + DATA_STORES_AND_TOOLS,
  ),
  // 8. "how should I structure ..."
  rule('technical_design', adjacent(
    anyOf('how should i', 'how do i'),
    anyOf('design', 'structure', 'organize', 'model'),
  )),
  // 9. "solve this equation"
  rule('analytical_reasoning',
    anyOf('solve', 'compute', 'calculate', 'prove', 'derive') + GAP +
    anyOf('equation', 'integral', 'derivative', 'theorem', 'proof', 'problem'),
  ),
  // 10. "if x > 3 then ...", "given ... find ...", "suppose", "assume"
  rule('analytical_reasoning',
    `(?:${anyOf('if')}${GAP}${anyOf('then')}|${anyOf('given')}${GAP}${anyOf('find')}|${anyOf('suppose', 'assume')})`,
  ),
  // 11. subject words
  rule('analytical_reasoning', anyOf('probability', 'statistics', 'combinatorics', 'optimization problem')),
  // 12. "draft an email to ..."
  rule('writing',
    anyOf('write', 'draft', 'compose', 'rewrite', 'edit', 'proofread', 'polish') + GAP +
    anyOf('email', 'essay', 'blog', 'post', 'article', 'letter', 'memo', 'copy', 'paragraph', 'sentence'),
  ),
  // 13. "make this more concise"
  rule('writing', adjacent(
    anyOf('make this', 'make it', 'help me'),
    optional(anyOf('more', 'less')) + TONES,
  )),
  // 14. "who was ...", "what is ..."
  rule('factual_lookup', atStart(adjacent(
    anyOf('who', 'what', 'when', 'where', 'which'),
    anyOf('is', 'was', 'were', 'are'),
  ))),
  // 15. "define ...", "meaning of ..."
  rule('factual_lookup', atStart(anyOf('define', 'definition of', 'meaning of'))),
  // 16. "how do you spell ...", "how many moons are there ..."
  rule('factual_lookup', atStart(
    `(?:${anyOf('how do you spell', 'how to spell', 'how tall is')}|${anyOf('how many')}${GAP}${anyOf('are there')})`,
  )),
];

/**
 * The request type of a prompt: the first rule matching its first 2,000
 * characters, else `general`. The cut is in UTF-16 units; a surrogate pair cut
 * in half is harmless under the `u` flag.
 */
export function classifyRequest(text: string): RequestType {
  const capped = text.slice(0, CLASSIFIER_INPUT_CAP);
  if (capped.trim() === '') return 'general';
  for (const { type, pattern } of CLASSIFIER_RULES) {
    if (pattern.test(capped)) return type;
  }
  return 'general';
}

/**
 * The text of the last user message of an OpenAI `messages` array: its string
 * content, or the first text part when the content is a list. Empty when the
 * last user message has no text (an image only, say): an earlier user message
 * is not what this turn asks.
 */
export function lastUserText(messages: readonly unknown[]): string {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (!isRecord(message) || message.role !== 'user') continue;
    return contentText(message.content);
  }
  return '';
}

export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  for (const part of content as unknown[]) {
    if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
  }
  return '';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
