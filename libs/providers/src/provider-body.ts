import { applyEdits, modify, parseTree, type Edit, type Node, type ParseError } from 'jsonc-parser';
import type { Deployment } from '@switchyard/config';
import { ENDPOINTS, type Endpoint } from '@switchyard/contracts';
import type { ProviderConfig } from './providers/index.js';
import type { BuildOptions } from './types.js';
import { isRecord } from './usage.js';

/*
 * What the gateway changes in a client's body before the provider sees it:
 * the model name, the deployment's defaults where the client set nothing,
 * and the stream fields. Everything else reaches the provider as the client
 * wrote it, byte for byte: a body is edited as text, never parsed and
 * re-serialised (which would round `"seed": 12345678901234567` to
 * 12345678901234568 and rewrite every float).
 */

/** One change to the client's body; `value: undefined` removes the field. */
export interface BodyChange {
  path: readonly [string] | readonly [string, string];
  value: unknown;
}


/**
 * Fields that say the same thing in two ways: when the client set one, the
 * default of the other is not added (o-series models reject max_tokens next
 * to max_completion_tokens; tools next to functions is ambiguous).
 */
const STAND_INS: ReadonlyArray<readonly [string, string]> = [
  ['max_tokens', 'max_completion_tokens'],
  ['tools', 'functions'],
  ['tool_choice', 'function_call'],
];

// null counts as unset: in OpenAI's API null means "use the default", and the operator's default is the one that applies.
const isSet = (value: unknown): boolean => value !== undefined && value !== null;

function clientSetStandIn(key: string, body: Record<string, unknown>): boolean {
  return STAND_INS.some((pair) => pair.includes(key) && pair.some((other) => other !== key && isSet(body[other])));
}

/** The changes the provider's body needs, decided on the parsed body (which the ingress validated). */
export function bodyChanges(
  deployment: Deployment,
  endpoint: Endpoint,
  body: Record<string, unknown>,
  opts: BuildOptions,
  streamUsage: ProviderConfig['streamUsage'],
): BodyChange[] {
  const changes: BodyChange[] = [];
  if (body.model !== deployment.providerModel) changes.push({ path: ['model'], value: deployment.providerModel });
  // The deployment defaults (litellm_params) the endpoint takes: an embeddings call has no max_tokens.
  const takes = ENDPOINTS[endpoint].defaults;
  for (const [key, value] of Object.entries(deployment.defaultParams)) {
    if (takes.includes(key) && !isSet(body[key]) && !clientSetStandIn(key, body)) changes.push({ path: [key], value });
  }
  if (opts.stream && ENDPOINTS[endpoint].streams) {
    if (body.stream !== true) changes.push({ path: ['stream'], value: true });
    if (ENDPOINTS[endpoint].alwaysStreamsUsage === true) {
      // Its stream reports usage unasked: the client's stream_options (if any) are its own business.
    } else if (streamUsage === 'stream_options') {
      // Usage is always asked for; the upstream-caller drops what the client did not ask for.
      if (!isRecord(body.stream_options)) changes.push({ path: ['stream_options'], value: { include_usage: true } });
      else if (body.stream_options.include_usage !== true) changes.push({ path: ['stream_options', 'include_usage'], value: true });
    } else if (Object.hasOwn(body, 'stream_options')) {
      changes.push({ path: ['stream_options'], value: undefined });
    }
  } else {
    // OpenAI rejects stream_options without stream: true.
    for (const key of ['stream', 'stream_options']) if (Object.hasOwn(body, key)) changes.push({ path: [key], value: undefined });
  }
  // The gateway's own field (LiteLLM's client-side fallbacks): no provider knows it.
  if (Object.hasOwn(body, 'fallbacks')) changes.push({ path: ['fallbacks'], value: undefined });
  return changes;
}

/** The changes applied to a copy of the parsed body (the built-in mock reads fields from it). */
export function applyToObject(body: Record<string, unknown>, changes: readonly BodyChange[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  for (const { path, value } of changes) {
    const [key, inner] = path;
    if (inner !== undefined) out[key] = { ...(isRecord(out[key]) ? out[key] : {}), [inner]: value };
    else if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

const member = (key: string, value: unknown): string => `${JSON.stringify(key)}:${JSON.stringify(value)}`;

/** Property nodes of an object node by key; null when a key appears twice. */
function propertiesOf(object: Node): Map<string, Node> | null {
  const properties = new Map<string, Node>();
  for (const property of object.children ?? []) {
    const key = property.children?.[0]?.value as string;
    if (properties.has(key)) return null;
    properties.set(key, property);
  }
  return properties;
}

function replaceValue(property: Node, value: unknown): Edit {
  const node = property.children![1]!;
  return { offset: node.offset, length: node.length, content: JSON.stringify(value) };
}

/** Members added at the end of an object, after its last property. */
function appendTo(object: Node, members: string[]): Edit {
  const last = object.children?.at(-1);
  return last
    ? { offset: last.offset + last.length, length: 0, content: `,${members.join(',')}` }
    : { offset: object.offset + 1, length: 0, content: members.join(',') };
}

/**
 * The changes applied to the body's text in place: one parse (jsonc-parser's
 * tree, for offsets), replacements and additions as one set of edits, removals
 * (rare: stream fields on a non-streamed call) by jsonc-parser's `modify`.
 * Returns null when the text cannot be edited unambiguously: a top-level key
 * that appears twice would leave the provider reading the client's copy
 * (most parsers keep the last one) instead of the gateway's.
 */
export function applyToText(text: string, changes: readonly BodyChange[]): string | null {
  if (changes.length === 0) return text;
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  if (!root || root.type !== 'object' || errors.length > 0) return null;
  const properties = propertiesOf(root);
  if (!properties) return null;
  const edits: Edit[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  for (const { path, value } of changes) {
    const [key, inner] = path;
    const property = properties.get(key);
    if (value === undefined) {
      if (inner === undefined && property) removed.push(key);
      continue;
    }
    if (inner === undefined) {
      if (property) edits.push(replaceValue(property, value));
      else added.push(member(key, value));
      continue;
    }
    const object = property?.children?.[1];
    if (!property || object?.type !== 'object') {
      if (property) edits.push(replaceValue(property, { [inner]: value }));
      else added.push(member(key, { [inner]: value }));
      continue;
    }
    const matches = (object.children ?? []).filter((child) => child.children?.[0]?.value === inner);
    if (matches.length === 0) edits.push(appendTo(object, [member(inner, value)]));
    for (const match of matches) edits.push(replaceValue(match, value));
  }
  if (added.length > 0) edits.push(appendTo(root, added));
  let out = applyEdits(text, edits);
  for (const key of removed) out = applyEdits(out, modify(out, [key], undefined, {}));
  return out;
}
